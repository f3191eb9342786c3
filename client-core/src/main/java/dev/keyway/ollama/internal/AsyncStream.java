package dev.keyway.ollama.internal;

import dev.keyway.ollama.OllamaException;
import dev.keyway.ollama.OllamaStream;
import dev.keyway.ollama.StreamHandle;
import dev.keyway.ollama.StreamHandler;
import java.lang.System.Logger.Level;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;

/** Runs a blocking {@link OllamaStream} on an executor and feeds a {@link StreamHandler}. */
final class AsyncStream<T> implements StreamHandle<T>, Runnable {
  private static final System.Logger LOG = System.getLogger("dev.keyway.ollama");

  private final Function<Cancellation, OllamaStream<T>> open;
  private final StreamHandler<T> handler;
  private final Runnable onFinish;
  private final Cancellation cancellation = new Cancellation();
  private final CompletableFuture<T> future = new CompletableFuture<>();
  private volatile @Nullable OllamaStream<T> stream;
  private volatile boolean cancelled;

  AsyncStream(Function<Cancellation, OllamaStream<T>> open, StreamHandler<T> handler, Runnable onFinish) {
    this.open = open;
    this.handler = handler;
    this.onFinish = onFinish;
  }

  /**
   * Reads the stream into the handler. The future completes on every path, whatever the handler
   * does: with the result, with the stream's exception (even when {@code onError} throws), with the
   * handler's own exception (from {@code onNext} or {@code onComplete}; the stream is then closed,
   * which cancels the call), or cancelled.
   */
  @Override
  public void run() {
    try {
      read();
    } catch (RuntimeException | Error e) {
      // Thrown by the handler itself: the stream is closed (and so cancelled) by try-with-resources.
      LOG.log(Level.WARNING, "StreamHandler threw; the stream was cancelled", e);
      future.completeExceptionally(e);
    } finally {
      try {
        onFinish.run();
      } finally {
        if (cancelled) {
          future.cancel(false);
        } else if (!future.isDone()) {
          future.completeExceptionally(new IllegalStateException("stream ended without a result"));
        }
      }
    }
  }

  private void read() {
    T result;
    try (OllamaStream<T> s = open.apply(cancellation)) {
      stream = s;
      if (cancelled) {
        return;
      }
      for (T chunk : s) {
        if (cancelled) {
          return;
        }
        handler.onNext(chunk);
      }
      if (cancelled) {
        return;
      }
      result = s.result();
    } catch (OllamaException e) {
      if (!cancelled) {
        try {
          handler.onError(e);
        } catch (RuntimeException handlerFailure) {
          LOG.log(Level.WARNING, "StreamHandler.onError threw; ignored", handlerFailure);
        } finally {
          // Whatever onError does, the future learns the stream's own failure.
          future.completeExceptionally(e);
        }
      }
      return;
    }
    // Outside the try: an OllamaException thrown by onComplete is the handler's, not the stream's.
    handler.onComplete(result);
    future.complete(result);
  }

  @Override
  public void cancel() {
    if (future.isDone()) {
      return;
    }
    cancelled = true;
    cancellation.cancel();
    OllamaStream<T> s = stream;
    if (s != null) {
      s.close();
    }
    future.cancel(false);
  }

  @Override
  public boolean isDone() {
    return future.isDone();
  }

  @Override
  public CompletableFuture<T> future() {
    return future;
  }
}
