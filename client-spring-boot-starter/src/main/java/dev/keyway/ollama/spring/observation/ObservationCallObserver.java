package dev.keyway.ollama.spring.observation;

import dev.keyway.ollama.OllamaCallObserver;
import dev.keyway.ollama.OllamaServers;
import io.micrometer.observation.Observation;
import io.micrometer.observation.ObservationRegistry;
import java.util.concurrent.Executor;
import org.jspecify.annotations.Nullable;

/**
 * Fills Keyway's {@link OllamaCallObserver} hook with one Micrometer {@link Observation} per call:
 * started (and so propagated into the upstream headers) just before the request is sent, an event
 * at a stream's first chunk, stopped when the call ends, with the error when it failed.
 *
 * <p>Work the client hands to its executor (async streams, publisher subscriptions) runs in the
 * scope of the observation current where the call was made, so the call's observation is its
 * child. Prompt and answer text is recorded only with {@code content} (the opt-in property).
 */
final class ObservationCallObserver implements OllamaCallObserver {
  /** The event at a stream's first chunk (Keyway's; the conventions have an attribute for it). */
  static final Observation.Event FIRST_CHUNK =
      Observation.Event.of("ollama.first_chunk", "first chunk of the streamed answer");

  static final DefaultOllamaObservationConvention DEFAULT = new DefaultOllamaObservationConvention();

  private final ObservationRegistry registry;
  private final @Nullable OllamaObservationConvention convention;
  private final @Nullable GenAiMetrics metrics;
  private final @Nullable GenAiContent content;
  /** The configured name of this client's server on a client over several; null for one server. */
  private final @Nullable String server;

  ObservationCallObserver(ObservationRegistry registry, @Nullable OllamaObservationConvention convention,
      @Nullable GenAiMetrics metrics) {
    this(registry, convention, metrics, null, null);
  }

  ObservationCallObserver(ObservationRegistry registry, @Nullable OllamaObservationConvention convention,
      @Nullable GenAiMetrics metrics, @Nullable GenAiContent content, @Nullable String server) {
    this.registry = registry;
    this.convention = convention;
    this.metrics = metrics;
    this.content = content;
    this.server = server;
  }

  @Override
  public boolean capturesContent() {
    return content != null;
  }

  @Override
  public Executor propagating(Executor executor) {
    Observation parent = registry.getCurrentObservation();
    if (parent == null) {
      return executor;
    }
    return task -> executor.execute(() -> {
      try (Observation.Scope scope = parent.openScope()) {
        task.run();
      }
    });
  }

  /**
   * Observes the call, except the router's own polls of {@code /api/ps} and {@code /api/tags} on
   * a multi-server client ({@link OllamaServers#isPolling()}): they would start a trace every few
   * seconds per server.
   */
  @Override
  public @Nullable Scope start(CallInfo call, UpstreamHeaders headers) {
    if (OllamaServers.isPolling()) {
      return null;
    }
    OllamaObservationContext context = new OllamaObservationContext(call, headers, server);
    GenAiContent text = content;
    if (text != null) {
      context.setInputMessages(text.inputMessages(call.request()));
      context.setSystemInstructions(text.systemInstructions(call.request()));
    }
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
        if (text != null) {
          context.setOutputMessages(text.outputMessages(result.answer()));
        }
        if (result.error() != null) {
          observation.error(result.error());
        }
        observation.stop();
        if (metrics != null) {
          OllamaObservationConvention c = convention == null ? DEFAULT : convention;
          DefaultOllamaObservationConvention d = c instanceof DefaultOllamaObservationConvention own ? own : DEFAULT;
          metrics.record(context, c.getLowCardinalityKeyValues(context), d.responseModel(context),
              d.errorType(context));
        }
      }
    };
  }
}
