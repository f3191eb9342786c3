package dev.keyway.ollama;

import org.jspecify.annotations.Nullable;

/**
 * Root of every exception Keyway throws while talking to Ollama. Unchecked.
 *
 * <p>Messages never contain a credential or a request body. Subclasses exist only where callers
 * branch: {@link OllamaHttpException} (an error status, with {@link OllamaAuthenticationException}
 * and {@link OllamaModelNotFoundException} under it), {@link OllamaStreamException} (a stream that
 * failed after it started) and {@link OllamaTransportException} (the network).
 */
public class OllamaException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public OllamaException(String message) {
    super(message);
  }

  public OllamaException(String message, @Nullable Throwable cause) {
    super(message, cause);
  }
}
