package dev.keyway.ollama.model;

import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * A request to the legacy {@code POST /api/embeddings}, which Ollama keeps for old clients; prefer
 * {@link EmbedRequest}. It embeds one prompt, and its vector is not normalised.
 *
 * @param model the embedding model; required
 * @param prompt the text to embed; empty returns an empty vector
 * @param keepAlive how long to keep the model loaded afterwards, or {@code null}
 * @param options model parameters for this request, or {@code null}
 */
public record EmbeddingsRequest(
    String model, String prompt, @Nullable KeepAlive keepAlive, @Nullable ModelOptions options) {

  /**
   * Validates.
   *
   * @throws IllegalArgumentException if {@code model} is missing
   * @throws NullPointerException if {@code prompt} is {@code null}
   */
  public EmbeddingsRequest {
    if (model == null || model.isBlank()) {
      throw new IllegalArgumentException("EmbeddingsRequest needs a model");
    }
    Objects.requireNonNull(prompt, "prompt");
  }

  /** Embeds {@code prompt} with {@code model}. */
  public static EmbeddingsRequest of(String model, String prompt) {
    return new EmbeddingsRequest(model, prompt, null, null);
  }
}
