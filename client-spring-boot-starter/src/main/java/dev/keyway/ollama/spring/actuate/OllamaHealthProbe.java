package dev.keyway.ollama.spring.actuate;

import dev.keyway.ollama.OllamaAuthenticationException;
import dev.keyway.ollama.OllamaClient;
import dev.keyway.ollama.OllamaException;
import dev.keyway.ollama.OllamaHttpException;
import dev.keyway.ollama.OllamaTransportException;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Asks Ollama for its version with the client's credential and says what the answer means. Shared
 * by the Spring Boot 3 and 4 health indicators, whose APIs live in different packages.
 */
final class OllamaHealthProbe {
  private final OllamaClient client;

  OllamaHealthProbe(OllamaClient client) {
    this.client = client;
  }

  /** The outcome: whether Ollama is up, and details safe to show (never the key). */
  record Result(boolean up, Map<String, Object> details) {}

  Result check() {
    Map<String, Object> details = new LinkedHashMap<>();
    details.put("location", client.baseUrl());
    try {
      details.put("version", client.version());
      return new Result(true, details);
    } catch (OllamaAuthenticationException e) {
      details.put("reason", "rejected our credential (check ollama.api-key / ollama.api-key-header)");
      details.put("status", e.status());
    } catch (OllamaTransportException e) {
      details.put("reason", "unreachable");
    } catch (OllamaHttpException e) {
      details.put("reason", "HTTP " + e.status());
      details.put("status", e.status());
    } catch (OllamaException e) {
      details.put("reason", "unexpected answer");
    }
    return new Result(false, details);
  }
}
