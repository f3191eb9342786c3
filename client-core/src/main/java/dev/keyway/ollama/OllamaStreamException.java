package dev.keyway.ollama;

import org.jspecify.annotations.Nullable;

/**
 * A streamed response failed after it had started with status 200: the server wrote an
 * {@code {"error": "…"}} line, the stream ended without its {@code "done": true} chunk, or a line
 * was not valid JSON. The chunks before the failure were delivered; the answer is incomplete.
 */
public class OllamaStreamException extends OllamaException {
  private static final long serialVersionUID = 1L;

  private final @Nullable String serverMessage;
  private final int chunksReceived;

  public OllamaStreamException(
      String message, @Nullable String serverMessage, int chunksReceived, @Nullable Throwable cause) {
    super(message, cause);
    this.serverMessage = serverMessage;
    this.chunksReceived = chunksReceived;
  }

  /** The text of the server's in-band error line, or {@code null} when the failure was not one. */
  public @Nullable String serverMessage() {
    return serverMessage;
  }

  /** How many chunks were delivered before the failure. */
  public int chunksReceived() {
    return chunksReceived;
  }
}
