package dev.keyway.ollama.spring.observation;

import io.micrometer.observation.Observation;
import io.micrometer.observation.ObservationConvention;

/**
 * Names and key values of the observation of an Ollama call. Declare a bean of this type to
 * replace {@link DefaultOllamaObservationConvention} (extend it to add or change a key value).
 */
public interface OllamaObservationConvention extends ObservationConvention<OllamaObservationContext> {

  @Override
  default boolean supportsContext(Observation.Context context) {
    return context instanceof OllamaObservationContext;
  }
}
