package dev.keyway.ollama.model;

import java.time.Duration;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * The answer of {@code POST /api/embed}.
 *
 * @param model the model that answered; {@code null} becomes {@code ""}
 * @param embeddings one L2-normalised vector per input, in input order; empty when there was no
 *     input (the model was only loaded)
 * @param totalDuration time from receiving the request to the end
 * @param loadDuration time spent loading the model
 * @param promptEvalCount input tokens over all inputs
 */
public record EmbedResponse(
    String model,
    List<float[]> embeddings,
    @Nullable Duration totalDuration,
    @Nullable Duration loadDuration,
    @Nullable Integer promptEvalCount) {

  /** Fills in defaults: missing model {@code ""}, missing vectors empty. */
  public EmbedResponse {
    model = model == null ? "" : model;
    embeddings = embeddings == null ? List.of() : List.copyOf(embeddings);
  }

  /** Shows the number and width of the vectors rather than their values. */
  @Override
  public String toString() {
    return "EmbedResponse[model=" + model + ", embeddings=" + embeddings.size() + " × "
        + (embeddings.isEmpty() ? 0 : embeddings.get(0).length) + ", totalDuration="
        + totalDuration + ", loadDuration=" + loadDuration + ", promptEvalCount="
        + promptEvalCount + "]";
  }
}
