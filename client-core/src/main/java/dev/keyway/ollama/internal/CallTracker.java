package dev.keyway.ollama.internal;

import dev.keyway.ollama.OllamaCallEvent;
import dev.keyway.ollama.OllamaCallListener;
import dev.keyway.ollama.OllamaHttpException;
import java.lang.System.Logger.Level;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;
import org.jspecify.annotations.Nullable;

/** Times one call and reports it to the listener exactly once. */
final class CallTracker {
  private static final System.Logger LOG = System.getLogger("dev.keyway.ollama");
  static final CallTracker NONE = new CallTracker(null, "", null, false);

  private final @Nullable OllamaCallListener listener;
  private final String endpoint;
  private final @Nullable String model;
  private final boolean streamed;
  private final long start = System.nanoTime();
  private final AtomicBoolean ended = new AtomicBoolean();
  private volatile int status;
  private volatile long firstChunkNanos = -1;
  // Written only by the thread reading the stream; read by whichever thread ends the call.
  private volatile long chunks;

  CallTracker(@Nullable OllamaCallListener listener, String endpoint, @Nullable String model, boolean streamed) {
    this.listener = listener;
    this.endpoint = endpoint;
    this.model = model;
    this.streamed = streamed;
  }

  static CallTracker start(
      @Nullable OllamaCallListener listener, String endpoint, @Nullable String model, boolean streamed) {
    return listener == null ? NONE : new CallTracker(listener, endpoint, model, streamed);
  }

  void status(int code) {
    status = code;
  }

  /** A chunk of a stream was read (the first one times {@code timeToFirstChunk}). */
  void chunk() {
    if (firstChunkNanos < 0 && listener != null) {
      firstChunkNanos = System.nanoTime();
    }
  }

  /** A content chunk (not the final {@code done} chunk) was handed to the caller. */
  void delivered() {
    if (listener != null) {
      chunks++; // single writer: the thread reading the stream
    }
  }

  void success(@Nullable Integer generatedTokens) {
    success(null, generatedTokens);
  }

  void success(@Nullable Integer promptTokens, @Nullable Integer generatedTokens) {
    end(OllamaCallEvent.OUTCOME_SUCCESS, promptTokens, generatedTokens);
  }

  void failure(Throwable e) {
    if (e instanceof OllamaHttpException http) {
      status = http.status();
    }
    end(OllamaCallEvent.outcomeOf(e), null, null);
  }

  void cancelled() {
    end(OllamaCallEvent.OUTCOME_CANCELLED, null, null);
  }

  private void end(String outcome, @Nullable Integer promptTokens, @Nullable Integer tokens) {
    if (listener == null || !ended.compareAndSet(false, true)) {
      return;
    }
    long now = System.nanoTime();
    Duration ttfc = streamed && firstChunkNanos >= 0 ? Duration.ofNanos(firstChunkNanos - start) : null;
    OllamaCallEvent event = new OllamaCallEvent(endpoint, model, streamed, outcome, status,
        Duration.ofNanos(now - start), ttfc, tokens, promptTokens, streamed ? chunks : 0);
    try {
      listener.onCallEnd(event);
    } catch (RuntimeException e) {
      LOG.log(Level.WARNING, "OllamaCallListener threw; ignored", e);
    }
  }
}
