package dev.keyway.ollama;

import org.jspecify.annotations.Nullable;

/**
 * The call was cancelled by its caller before it finished: an {@link OllamaStream} closed or a
 * {@link StreamHandle} cancelled from another thread, or the client closed while the call ran. Not
 * a failure of the server or the network, and never retried. Metrics file it as
 * {@link OllamaCallEvent#OUTCOME_CANCELLED}.
 */
public class OllamaCancelledException extends OllamaException {
  private static final long serialVersionUID = 1L;

  public OllamaCancelledException(String message, @Nullable Throwable cause) {
    super(message, cause);
  }
}
