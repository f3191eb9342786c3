package dev.keyway.ollama.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.keyway.ollama.OllamaCallEvent;
import dev.keyway.ollama.OllamaClient;
import dev.keyway.ollama.OllamaStream;
import dev.keyway.ollama.model.ChatRequest;
import dev.keyway.ollama.model.ChatResponse;
import dev.keyway.ollama.model.Message;
import dev.keyway.ollama.testkit.OllamaStandIn;
import dev.keyway.ollama.testkit.ScriptedModel;
import java.lang.ref.WeakReference;
import java.time.Duration;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A stream read part way and dropped without {@code close()}: the stall watch that enforces its
 * read timeout must not keep it reachable, so the cleaner ends it (the listener hears "cancelled")
 * and cancels its call. Waits for the collector, bounded: {@code System.gc()} on HotSpot clears a
 * weakly reachable object within a few calls.
 */
@Timeout(30)
class DroppedStreamTest {

  @Test
  void aHalfReadStreamDroppedUnclosedIsCollectedAndEndsCancelled() {
    List<OllamaCallEvent> events = new CopyOnWriteArrayList<>();
    try (OllamaStandIn standIn = OllamaStandIn.builder()
            .model(ScriptedModel.named("slow").answer("a b c d e f g h i j k l m n o p q r s t")
                .tokenDelay(Duration.ofMillis(200)))
            .build();
        OllamaClient client = OllamaClient.builder().baseUrl(standIn.baseUrl())
            .readTimeout(Duration.ofSeconds(30)).listener(events::add).build()) {
      WeakReference<OllamaStream<ChatResponse>> dropped = openAndReadOneChunk(client);

      await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(50)).until(() -> {
        System.gc();
        return dropped.get() == null && !events.isEmpty();
      });
      assertThat(events).singleElement()
          .satisfies(e -> assertThat(e.outcome()).isEqualTo(OllamaCallEvent.OUTCOME_CANCELLED));
    }
  }

  /** Opens a stream, reads its first chunk and lets go of it, without closing it. */
  private static WeakReference<OllamaStream<ChatResponse>> openAndReadOneChunk(OllamaClient client) {
    OllamaStream<ChatResponse> stream = client.chatStream(ChatRequest.builder().model("slow")
        .addMessage(Message.user("hi")).build());
    Iterator<ChatResponse> it = stream.iterator();
    assertThat(it.next().message().content()).isNotEmpty();
    return new WeakReference<>(stream);
  }
}
