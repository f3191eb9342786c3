package dev.keyway.ollama.spring.actuate;

import dev.keyway.ollama.OllamaClient;
import java.time.Duration;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;

/** Ollama health for Spring Boot 4 ({@code org.springframework.boot.health.contributor}). */
public class OllamaBoot4HealthIndicator implements HealthIndicator {
  private final OllamaHealthProbe probe;

  /** Checks {@code client} with the default bound of 3 seconds. */
  public OllamaBoot4HealthIndicator(OllamaClient client) {
    this(client, Duration.ofSeconds(OllamaHealthProbe.DEFAULT_TIMEOUT_SECONDS));
  }

  /**
   * Checks {@code client} with one attempt that must answer within {@code timeout}, whatever the
   * client's own timeouts and retries.
   */
  public OllamaBoot4HealthIndicator(OllamaClient client, Duration timeout) {
    this.probe = new OllamaHealthProbe(client, timeout);
  }

  @Override
  public Health health() {
    OllamaHealthProbe.Result result = probe.check();
    return (result.up() ? Health.up() : Health.down()).withDetails(result.details()).build();
  }
}
