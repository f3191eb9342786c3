package dev.keyway.ollama;

import org.jspecify.annotations.Nullable;

/**
 * The server answered, but not as Ollama does: a 2xx answer that is not JSON (a proxy's login
 * page, a wrong path), a 2xx answer carrying {@code {"error": "…"}}, an answer without a field
 * Ollama always sends, an answer larger than {@link OllamaClient.Builder#maxAnswerSize(long)}, or a
 * redirect Keyway refuses to follow (one that changes the scheme). Usually a configuration problem
 * (the base URL does not point at Ollama); retrying does not help.
 */
public class OllamaProtocolException extends OllamaException {
  private static final long serialVersionUID = 1L;

  public OllamaProtocolException(String message, @Nullable Throwable cause) {
    super(message, cause);
  }
}
