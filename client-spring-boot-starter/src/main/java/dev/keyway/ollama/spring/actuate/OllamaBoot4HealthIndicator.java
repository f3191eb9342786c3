package dev.keyway.ollama.spring.actuate;

import dev.keyway.ollama.OllamaClient;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;

/** Ollama health for Spring Boot 4 ({@code org.springframework.boot.health.contributor}). */
public class OllamaBoot4HealthIndicator implements HealthIndicator {
  private final OllamaHealthProbe probe;

  public OllamaBoot4HealthIndicator(OllamaClient client) {
    this.probe = new OllamaHealthProbe(client);
  }

  @Override
  public Health health() {
    OllamaHealthProbe.Result result = probe.check();
    return (result.up() ? Health.up() : Health.down()).withDetails(result.details()).build();
  }
}
