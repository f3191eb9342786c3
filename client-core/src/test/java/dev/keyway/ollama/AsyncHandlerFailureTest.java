package dev.keyway.ollama;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.keyway.ollama.model.ChatRequest;
import dev.keyway.ollama.model.ChatResponse;
import dev.keyway.ollama.model.Message;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Issue 11 defect 2: whatever a {@link StreamHandler} throws, from whichever callback,
 * {@link StreamHandle#future()} completes.
 */
@Timeout(value = 30, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class AsyncHandlerFailureTest extends MockServerTest {
  static final ChatRequest CHAT = ChatRequest.builder().model("m").addMessage(Message.user("hi")).build();
  static final String DONE = "{\"model\":\"m\",\"message\":{\"role\":\"assistant\",\"content\":\"\"},\"done\":true}\n";

  @Override
  OllamaClient client(OllamaClient.Builder builder) {
    return builder.maxRetries(0).build();
  }

  /** Throws {@code failure} from the callbacks named; counts the calls of each. */
  static final class Throwing implements StreamHandler<ChatResponse> {
    final RuntimeException failure;
    final boolean inNext;
    final boolean inComplete;
    final boolean inError;
    final AtomicInteger errors = new AtomicInteger();

    Throwing(RuntimeException failure, boolean inNext, boolean inComplete, boolean inError) {
      this.failure = failure;
      this.inNext = inNext;
      this.inComplete = inComplete;
      this.inError = inError;
    }

    @Override
    public void onNext(ChatResponse chunk) {
      if (inNext) {
        throw failure;
      }
    }

    @Override
    public void onComplete(ChatResponse result) {
      if (inComplete) {
        throw failure;
      }
    }

    @Override
    public void onError(OllamaException e) {
      errors.incrementAndGet();
      if (inError) {
        throw failure;
      }
    }
  }

  @Test
  void onErrorThatThrowsAfterAnInStreamErrorStillCompletesTheFuture() {
    server.enqueue(ndjson("{\"error\":\"out of memory\"}\n"));
    Throwing handler = new Throwing(new IllegalStateException("handler bug"), false, false, true);
    StreamHandle<ChatResponse> handle = client.chatStream(CHAT, handler);
    assertThatThrownBy(() -> handle.future().get(10, TimeUnit.SECONDS))
        .isInstanceOf(ExecutionException.class).hasCauseInstanceOf(OllamaStreamException.class);
    assertThat(handler.errors).hasValue(1);
  }

  @Test
  void onErrorThatThrowsAfterAnHttpErrorStillCompletesTheFuture() {
    server.enqueue(json("{\"error\":\"boom\"}").setResponseCode(500));
    Throwing handler = new Throwing(new IllegalStateException("handler bug"), false, false, true);
    StreamHandle<ChatResponse> handle = client.chatStream(CHAT, handler);
    assertThatThrownBy(() -> handle.future().get(10, TimeUnit.SECONDS))
        .isInstanceOf(ExecutionException.class).hasCauseInstanceOf(OllamaHttpException.class);
  }

  @Test
  void onErrorThatThrowsAnErrorStillCompletesTheFuture() {
    server.enqueue(ndjson("{\"error\":\"out of memory\"}\n"));
    StreamHandle<ChatResponse> handle = client.chatStream(CHAT, new StreamHandler<>() {
      @Override
      public void onNext(ChatResponse chunk) {}

      @Override
      public void onError(OllamaException e) {
        throw new AssertionError("handler bug");
      }
    });
    assertThatThrownBy(() -> handle.future().get(10, TimeUnit.SECONDS))
        .isInstanceOf(ExecutionException.class).hasCauseInstanceOf(OllamaStreamException.class);
  }

  @Test
  void onCompleteThatThrowsFailsTheFutureWithTheHandlersException() {
    server.enqueue(ndjson(DONE));
    IllegalStateException bug = new IllegalStateException("handler bug");
    Throwing handler = new Throwing(bug, false, true, false);
    StreamHandle<ChatResponse> handle = client.chatStream(CHAT, handler);
    assertThatThrownBy(() -> handle.future().get(10, TimeUnit.SECONDS))
        .isInstanceOf(ExecutionException.class).hasCause(bug);
    assertThat(handler.errors).as("onError is for the stream's failures").hasValue(0);
  }

  @Test
  void onCompleteThatThrowsAnOllamaExceptionIsNotReportedAsTheStreamsError() {
    server.enqueue(ndjson(DONE));
    OllamaException bug = new OllamaException("the handler's own");
    Throwing handler = new Throwing(bug, false, true, true);
    StreamHandle<ChatResponse> handle = client.chatStream(CHAT, handler);
    assertThatThrownBy(() -> handle.future().get(10, TimeUnit.SECONDS))
        .isInstanceOf(ExecutionException.class).hasCause(bug);
    assertThat(handler.errors).hasValue(0);
  }

  @Test
  void onNextThatThrowsFailsTheFutureWithTheHandlersException() {
    server.enqueue(ndjson("{\"model\":\"m\",\"message\":{\"role\":\"assistant\",\"content\":\"Hi\"},\"done\":false}\n" + DONE));
    IllegalStateException bug = new IllegalStateException("handler bug");
    Throwing handler = new Throwing(bug, true, false, true);
    StreamHandle<ChatResponse> handle = client.chatStream(CHAT, handler);
    assertThatThrownBy(() -> handle.future().get(10, TimeUnit.SECONDS))
        .isInstanceOf(ExecutionException.class).hasCause(bug);
    assertThat(handler.errors).hasValue(0);
  }
}
