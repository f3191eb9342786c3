package dev.keyway.ollama;

import org.jspecify.annotations.Nullable;

/**
 * Root of every exception Keyway throws while talking to Ollama. Unchecked.
 *
 * <p>Messages never contain a credential or a request body. Subclasses exist only where callers
 * branch, and every exception Keyway throws is one of them:
 *
 * <ul>
 *   <li>{@link OllamaHttpException}: an error status, with {@link OllamaAuthenticationException}
 *       (401, 403) and {@link OllamaModelNotFoundException} under it;
 *   <li>{@link OllamaStreamException}: a stream that failed after it started;
 *   <li>{@link OllamaTransportException}: the network (refused, dropped, TLS, a timeout);
 *   <li>{@link OllamaProtocolException}: an answer that is not Ollama's (not JSON, an error in a
 *       2xx answer, a missing field, a refused redirect);
 *   <li>{@link OllamaCancelledException}: the caller cancelled the call.
 * </ul>
 *
 * <p>Branch on these types, never on message text: messages are for people and may change.
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
