package dev.keyway.ollama;

import java.util.concurrent.CompletableFuture;

/**
 * Controls an asynchronous stream started with a {@link StreamHandler}.
 *
 * @param <T> the chunk type
 */
public interface StreamHandle<T> {

  /**
   * Cancels the stream: the HTTP call is cancelled at once (the server sees the disconnect and
   * stops generating), no further handler method is called, and {@link #future()} is cancelled.
   * Idempotent; does nothing once the stream has finished.
   */
  void cancel();

  /** Whether the stream has finished, failed or been cancelled. */
  boolean isDone();

  /**
   * Completes with the accumulated answer (as passed to {@link StreamHandler#onComplete}), fails
   * with the stream's exception, or is cancelled by {@link #cancel()}. Cancelling this future does
   * not cancel the stream; call {@link #cancel()}.
   */
  CompletableFuture<T> future();
}
