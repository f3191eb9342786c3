package dev.keyway.ollama;

import java.io.Closeable;
import java.io.InputStream;

/**
 * Ollama's successful answer to a {@link PassThroughRequest}, unread. Non-2xx answers never arrive
 * here: {@link OllamaClient#passThrough} throws them as {@link OllamaHttpException} and its
 * subclasses, with the server's message and {@code Retry-After}.
 *
 * <p>The body is what Ollama sent, never compressed (the request asks for no content encoding),
 * except that the client's credential, should the server or a proxy echo it in any letter case,
 * is replaced by {@code [redacted]}, also when it is split across reads. Reads block until bytes
 * arrive, within the client's read timeout; a stream's lines are handed out as they come.
 *
 * <p>Close it (try-with-resources) to release the connection. {@link #cancel()} may be called
 * from any thread, for example when the relay's own caller went away: it stops the upstream call,
 * so Ollama stops generating.
 */
public interface PassThroughResponse extends Closeable {
  /** The HTTP status, always 2xx. */
  int status();

  /** The answer's {@code Content-Type}, or {@code application/json} when the server sent none. */
  String contentType();

  /** The answer's bytes; the same stream on every call. */
  InputStream body();

  /** Cancels the upstream call; reads then fail. Idempotent, callable from any thread. */
  void cancel();

  /** Releases the connection. Idempotent; does not throw. */
  @Override
  void close();
}
