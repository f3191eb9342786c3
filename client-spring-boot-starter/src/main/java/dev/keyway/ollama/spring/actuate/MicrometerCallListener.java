package dev.keyway.ollama.spring.actuate;

import dev.keyway.ollama.OllamaCallEvent;
import dev.keyway.ollama.OllamaCallListener;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;

/**
 * Records Keyway's call events as Micrometer meters. Tags are low-cardinality only: endpoint,
 * model, outcome, streamed; never prompt text, options or credentials.
 */
public class MicrometerCallListener implements OllamaCallListener {
  private final MeterRegistry registry;

  public MicrometerCallListener(MeterRegistry registry) {
    this.registry = registry;
  }

  @Override
  public void onCallEnd(OllamaCallEvent event) {
    String model = event.model() == null ? "none" : event.model();
    Timer.builder("ollama.client.requests")
        .description("Calls to Ollama, by endpoint, model and outcome")
        .tag("endpoint", event.endpoint())
        .tag("model", model)
        .tag("outcome", event.outcome())
        .tag("streamed", String.valueOf(event.streamed()))
        .register(registry)
        .record(event.duration());
    if (event.timeToFirstChunk() != null) {
      Timer.builder("ollama.client.time.to.first.token")
          .description("From sending a streamed call to its first chunk")
          .tag("endpoint", event.endpoint())
          .tag("model", model)
          .register(registry)
          .record(event.timeToFirstChunk());
    }
    if (event.generatedTokens() != null) {
      DistributionSummary.builder("ollama.client.generated.tokens")
          .description("Tokens generated per call (eval_count)")
          .baseUnit("tokens")
          .tag("endpoint", event.endpoint())
          .tag("model", model)
          .register(registry)
          .record(event.generatedTokens());
    }
  }
}
