package dev.keyway.ollama;

/**
 * Receives a stream's chunks on a background thread, for the asynchronous streaming methods such
 * as {@link OllamaClient#chatStream(dev.keyway.ollama.model.ChatRequest, StreamHandler)}.
 *
 * <p>Calls are made one at a time, from one thread, in order: {@code onNext} for each chunk, then
 * exactly one of {@code onComplete} or {@code onError} — neither after a {@link StreamHandle#cancel()}.
 * If {@code onNext} or {@code onComplete} throws, the stream is cancelled (if still open), the
 * handle's future fails with that exception, and {@code onError} is not called. If {@code onError}
 * throws, the exception is logged and the future still fails with the stream's own exception:
 * the future completes whatever a handler does.
 *
 * @param <T> the chunk type
 */
@FunctionalInterface
public interface StreamHandler<T> {

  /** Called with each chunk as soon as its line arrives. */
  void onNext(T chunk);

  /** Called once after the done chunk, with the accumulated whole answer. */
  default void onComplete(T result) {}

  /** Called once if the call or the stream fails. */
  default void onError(OllamaException error) {}
}
