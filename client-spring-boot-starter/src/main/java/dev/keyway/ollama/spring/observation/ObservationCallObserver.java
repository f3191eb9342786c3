package dev.keyway.ollama.spring.observation;

import dev.keyway.ollama.OllamaCallObserver;
import io.micrometer.observation.Observation;
import io.micrometer.observation.ObservationRegistry;
import org.jspecify.annotations.Nullable;

/**
 * Fills Keyway's {@link OllamaCallObserver} hook with one Micrometer {@link Observation} per call:
 * started (and so propagated into the upstream headers) just before the request is sent, an event
 * at a stream's first chunk, stopped when the call ends, with the error when it failed.
 */
final class ObservationCallObserver implements OllamaCallObserver {
  /** The event at a stream's first chunk. */
  static final Observation.Event FIRST_CHUNK =
      Observation.Event.of("gen_ai.first_chunk", "first chunk of the streamed answer");

  private static final OllamaObservationConvention DEFAULT = new DefaultOllamaObservationConvention();

  private final ObservationRegistry registry;
  private final @Nullable OllamaObservationConvention convention;
  private final @Nullable GenAiMetrics metrics;

  ObservationCallObserver(ObservationRegistry registry, @Nullable OllamaObservationConvention convention,
      @Nullable GenAiMetrics metrics) {
    this.registry = registry;
    this.convention = convention;
    this.metrics = metrics;
  }

  @Override
  public Scope start(CallInfo call, UpstreamHeaders headers) {
    OllamaObservationContext context = new OllamaObservationContext(call, headers);
    Observation observation =
        Observation.createNotStarted(convention, DEFAULT, () -> context, registry).start();
    return new Scope() {
      @Override
      public void onFirstChunk() {
        observation.event(FIRST_CHUNK);
      }

      @Override
      public void onEnd(CallResult result) {
        context.setResponse(result);
        if (result.error() != null) {
          observation.error(result.error());
        }
        observation.stop();
        if (metrics != null) {
          metrics.record(context, (convention == null ? DEFAULT : convention).getLowCardinalityKeyValues(context));
        }
      }
    };
  }
}
