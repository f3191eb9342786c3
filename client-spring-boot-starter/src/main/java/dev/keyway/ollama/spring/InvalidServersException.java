package dev.keyway.ollama.spring;

/**
 * {@code ollama.servers} cannot be used as configured; the message says which entry and what to
 * fix, and never contains a key. {@link OllamaConfigurationFailureAnalyzer} shows it at startup.
 */
final class InvalidServersException extends IllegalArgumentException {
  private static final long serialVersionUID = 1L;

  InvalidServersException(String message) {
    super(message);
  }
}
