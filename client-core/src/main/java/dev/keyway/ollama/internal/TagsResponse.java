package dev.keyway.ollama.internal;

import dev.keyway.ollama.model.ModelSummary;
import java.util.List;

/**
 * The body of {@code GET /api/tags}: {@code {"models":[…]}}.
 *
 * @param models the installed models; {@code null} becomes empty
 */
public record TagsResponse(List<ModelSummary> models) {

  /** Copies the list; a missing one is empty. */
  public TagsResponse {
    models = models == null ? List.of() : List.copyOf(models);
  }
}
