package dev.keyway.ollama.spring.observation;

import io.micrometer.common.KeyValues;
import org.jspecify.annotations.Nullable;

/**
 * Records the GenAI meters of a call that has ended. An interface so that the observer does not
 * link against micrometer-core, which the observation API does not need.
 */
interface GenAiMetrics {

  /**
   * Records the ended call of {@code context}, tagged with {@code lowCardinality},
   * {@code gen_ai.response.model} ({@code responseModel}, or {@code none} when there is none) and
   * {@code error.type} ({@code errorType}, or {@code none} when the call did not fail).
   */
  void record(OllamaObservationContext context, KeyValues lowCardinality, @Nullable String responseModel,
      @Nullable String errorType);
}
