package dev.keyway.ollama;

/**
 * The network failed: the connection was refused or dropped, a name did not resolve, TLS failed,
 * or a timeout ran out. The cause is the underlying {@link java.io.IOException}.
 */
public class OllamaTransportException extends OllamaException {
  private static final long serialVersionUID = 1L;

  public OllamaTransportException(String message, Throwable cause) {
    super(message, cause);
  }
}
