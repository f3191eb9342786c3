package dev.keyway.ollama.spring.actuate;

import dev.keyway.ollama.OllamaClient;
import java.time.Duration;
import org.springframework.boot.actuate.health.Health;
import org.springframework.boot.actuate.health.HealthIndicator;

/** Ollama health for Spring Boot 3 ({@code org.springframework.boot.actuate.health}). */
public class OllamaHealthIndicator implements HealthIndicator {
  private final OllamaHealthProbe probe;

  /** Checks {@code client} with the default bound of 3 seconds. */
  public OllamaHealthIndicator(OllamaClient client) {
    this(client, Duration.ofSeconds(OllamaHealthProbe.DEFAULT_TIMEOUT_SECONDS));
  }

  /**
   * Checks {@code client} with one attempt that must answer within {@code timeout}, whatever the
   * client's own timeouts and retries.
   */
  public OllamaHealthIndicator(OllamaClient client, Duration timeout) {
    this.probe = new OllamaHealthProbe(client, timeout);
  }

  @Override
  public Health health() {
    OllamaHealthProbe.Result result = probe.check();
    return (result.up() ? Health.up() : Health.down()).withDetails(result.details()).build();
  }
}
