package dev.keyway.ollama;

import static org.assertj.core.api.Assertions.assertThat;

import dev.keyway.ollama.model.ChatRequest;
import dev.keyway.ollama.model.ChatResponse;
import dev.keyway.ollama.model.EmbedRequest;
import dev.keyway.ollama.model.EmbedResponse;
import dev.keyway.ollama.model.Message;
import dev.keyway.ollama.testkit.OllamaStandInExtension;
import dev.keyway.ollama.testkit.ScriptedModel;
import java.time.Duration;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * What a listener learns about a finished call's size: the answer's {@code prompt_eval_count} and
 * {@code eval_count}, and for a stream the content chunks that reached the caller.
 */
@Timeout(20)
class CallListenerTokensTest {
  @RegisterExtension
  final OllamaStandInExtension ollama = OllamaStandInExtension.with(b -> b
      .model(ScriptedModel.named("m").tokens("one", " two", " three", " four"))
      .model(ScriptedModel.named("slow").tokens("a", "b", "c", "d", "e", "f").tokenDelay(Duration.ofMillis(50))));

  final List<OllamaCallEvent> events = new CopyOnWriteArrayList<>();
  OllamaClient client;

  @BeforeEach
  void setUp() {
    client = OllamaClient.builder().baseUrl(ollama.standIn().baseUrl()).maxRetries(0).listener(events::add).build();
  }

  @AfterEach
  void tearDown() {
    client.close();
  }

  static ChatRequest chat(String model) {
    return ChatRequest.builder().model(model).addMessage(Message.user("Why is the sky blue?")).build();
  }

  @Test
  void unaryChatReportsPromptAndGeneratedTokensAndNoChunks() {
    ChatResponse reply = client.chat(chat("m"));
    assertThat(events).singleElement().satisfies(e -> {
      assertThat(e.outcome()).isEqualTo(OllamaCallEvent.OUTCOME_SUCCESS);
      assertThat(e.promptTokens()).isPositive().isEqualTo(reply.promptEvalCount());
      assertThat(e.generatedTokens()).isEqualTo(4).isEqualTo(reply.evalCount());
      assertThat(e.chunks()).isZero();
    });
  }

  @Test
  void streamReadToDoneReportsTokensAndEveryContentChunk() {
    int read = 0;
    ChatResponse whole;
    try (OllamaStream<ChatResponse> s = client.chatStream(chat("m"))) {
      for (ChatResponse ignored : s) {
        read++;
      }
      whole = s.result();
    }
    assertThat(read).isEqualTo(5); // four content chunks and the done chunk
    assertThat(events).singleElement().satisfies(e -> {
      assertThat(e.outcome()).isEqualTo(OllamaCallEvent.OUTCOME_SUCCESS);
      assertThat(e.streamed()).isTrue();
      assertThat(e.promptTokens()).isPositive().isEqualTo(whole.promptEvalCount());
      assertThat(e.generatedTokens()).isEqualTo(4);
      assertThat(e.chunks()).isEqualTo(4);
    });
  }

  @Test
  void streamClosedEarlyReportsTheChunksItDeliveredAndNoTokens() {
    try (OllamaStream<ChatResponse> s = client.chatStream(chat("slow"))) {
      Iterator<ChatResponse> it = s.iterator();
      assertThat(it.next().message().content()).isEqualTo("a");
      assertThat(it.next().message().content()).isEqualTo("b");
      assertThat(it.hasNext()).isTrue(); // "c" is read, but never handed over
    }
    assertThat(events).singleElement().satisfies(e -> {
      assertThat(e.outcome()).isEqualTo(OllamaCallEvent.OUTCOME_CANCELLED);
      assertThat(e.promptTokens()).isNull();
      assertThat(e.generatedTokens()).isNull();
      assertThat(e.chunks()).isEqualTo(2);
    });
  }

  @Test
  void embedReportsItsPromptTokens() {
    EmbedResponse answer = client.embed(EmbedRequest.of("m", "first text", "second"));
    assertThat(events).singleElement().satisfies(e -> {
      assertThat(e.endpoint()).isEqualTo("api/embed");
      assertThat(e.outcome()).isEqualTo(OllamaCallEvent.OUTCOME_SUCCESS);
      assertThat(e.promptTokens()).isPositive().isEqualTo(answer.promptEvalCount());
      assertThat(e.generatedTokens()).isNull();
      assertThat(e.chunks()).isZero();
    });
  }
}
