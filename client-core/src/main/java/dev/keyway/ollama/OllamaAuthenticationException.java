package dev.keyway.ollama;

import java.time.Duration;
import org.jspecify.annotations.Nullable;

/**
 * 401 or 403: the server or its proxy rejected the credential, or none was sent. The message names
 * the header Keyway sent (never its value) or says that no credential is configured.
 */
public class OllamaAuthenticationException extends OllamaHttpException {
  private static final long serialVersionUID = 1L;

  public OllamaAuthenticationException(
      int status, String serverMessage, @Nullable Duration retryAfter, String message) {
    super(status, serverMessage, retryAfter, message);
  }
}
