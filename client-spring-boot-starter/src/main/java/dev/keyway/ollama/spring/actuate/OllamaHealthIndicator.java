package dev.keyway.ollama.spring.actuate;

import dev.keyway.ollama.OllamaClient;
import org.springframework.boot.actuate.health.Health;
import org.springframework.boot.actuate.health.HealthIndicator;

/** Ollama health for Spring Boot 3 ({@code org.springframework.boot.actuate.health}). */
public class OllamaHealthIndicator implements HealthIndicator {
  private final OllamaHealthProbe probe;

  public OllamaHealthIndicator(OllamaClient client) {
    this.probe = new OllamaHealthProbe(client);
  }

  @Override
  public Health health() {
    OllamaHealthProbe.Result result = probe.check();
    return (result.up() ? Health.up() : Health.down()).withDetails(result.details()).build();
  }
}
