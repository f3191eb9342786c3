package dev.keyway.ollama.spring.actuate;

import dev.keyway.ollama.OllamaCallEvent;
import dev.keyway.ollama.OllamaCallListener;
import dev.keyway.ollama.OllamaServers;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import org.jspecify.annotations.Nullable;

/**
 * Records Keyway's call events as Micrometer meters. Tags are low-cardinality only: endpoint,
 * model, outcome, streamed, and on the clients of several servers the configured server name
 * ({@code server}); never prompt text, options or credentials.
 *
 * <p>On a server of {@link OllamaServers}, the router's own polls of {@code /api/ps} and
 * {@code /api/tags} ({@link OllamaServers#isPolling()}) are not calls of the application: they
 * are left out of {@code ollama.client.requests} and timed as {@code ollama.client.polls}
 * (server, endpoint, outcome) instead.
 */
public class MicrometerCallListener implements OllamaCallListener {
  private final MeterRegistry registry;
  private final Tags serverTag;
  private final @Nullable String server;

  public MicrometerCallListener(MeterRegistry registry) {
    this(registry, null);
  }

  /**
   * Records the calls of the client of one of several servers, tagged {@code server=<server>};
   * {@code null} for a single client (no such tag).
   */
  public MicrometerCallListener(MeterRegistry registry, @Nullable String server) {
    this.registry = registry;
    this.server = server;
    this.serverTag = server == null ? Tags.empty() : Tags.of("server", server);
  }

  @Override
  public void onCallEnd(OllamaCallEvent event) {
    if (server != null && OllamaServers.isPolling()) {
      Timer.builder("ollama.client.polls")
          .description("The routing client's own polls of each server's loaded and installed models")
          .tags(serverTag)
          .tag("endpoint", event.endpoint())
          .tag("outcome", event.outcome())
          .register(registry)
          .record(event.duration());
      return;
    }
    String model = event.model() == null ? "none" : event.model();
    Timer.builder("ollama.client.requests")
        .description("Calls to Ollama, by endpoint, model and outcome")
        .tags(serverTag)
        .tag("endpoint", event.endpoint())
        .tag("model", model)
        .tag("outcome", event.outcome())
        .tag("streamed", String.valueOf(event.streamed()))
        .register(registry)
        .record(event.duration());
    if (event.timeToFirstChunk() != null) {
      Timer.builder("ollama.client.time.to.first.token")
          .description("From sending a streamed call to its first chunk")
          .tags(serverTag)
          .tag("endpoint", event.endpoint())
          .tag("model", model)
          .register(registry)
          .record(event.timeToFirstChunk());
    }
    if (event.generatedTokens() != null) {
      DistributionSummary.builder("ollama.client.generated.tokens")
          .description("Tokens generated per call (eval_count)")
          .baseUnit("tokens")
          .tags(serverTag)
          .tag("endpoint", event.endpoint())
          .tag("model", model)
          .register(registry)
          .record(event.generatedTokens());
    }
  }
}
