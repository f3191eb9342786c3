package dev.keyway.ollama;

import java.time.Duration;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * The server (Ollama, or a proxy in front of it) answered with an error status before any
 * response body was handed out.
 *
 * <p>{@link #serverMessage()} is Ollama's {@code {"error": "…"}} text, or the start of a body that
 * is not JSON (a proxy's {@code Unauthorized}, an HTML error page), cut to a few hundred
 * characters.
 */
public class OllamaHttpException extends OllamaException {
  private static final long serialVersionUID = 1L;

  private final int status;
  private final String serverMessage;
  private final @Nullable Duration retryAfter;

  public OllamaHttpException(
      int status, String serverMessage, @Nullable Duration retryAfter, String message) {
    super(message);
    this.status = status;
    this.serverMessage = serverMessage;
    this.retryAfter = retryAfter;
  }

  /** HTTP status code, for example 400, 404, 503. */
  public int status() {
    return status;
  }

  /** What the server said, without the status line; empty when the body was empty. */
  public String serverMessage() {
    return serverMessage;
  }

  /** The server's {@code Retry-After}, when it sent one that could be read. */
  public Optional<Duration> retryAfter() {
    return Optional.ofNullable(retryAfter);
  }
}
