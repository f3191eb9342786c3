package dev.keyway.ollama.spring.actuate;

import dev.keyway.ollama.OllamaAuthenticationException;
import dev.keyway.ollama.OllamaClient;
import dev.keyway.ollama.OllamaException;
import dev.keyway.ollama.OllamaHttpException;
import dev.keyway.ollama.OllamaServers;
import dev.keyway.ollama.OllamaTransportException;
import dev.keyway.ollama.RequestOptions;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Asks Ollama for its version with the client's credential and says what the answer means. Shared
 * by the Spring Boot 3 and 4 health indicators, whose APIs live in different packages.
 *
 * <p>The question is bounded: one attempt, answered within {@code timeout} (connecting included)
 * or counted as down, whatever the client's own read timeout and retries are. A hung upstream
 * must not hang {@code /actuator/health}, nor a Kubernetes probe behind it.
 */
final class OllamaHealthProbe {
  /** Default bound on a health check: {@value #DEFAULT_TIMEOUT_SECONDS} s. */
  static final long DEFAULT_TIMEOUT_SECONDS = 3;

  private final OllamaClient client;
  private final RequestOptions options;

  OllamaHealthProbe(OllamaClient client, Duration timeout) {
    this.client = Objects.requireNonNull(client, "client");
    Objects.requireNonNull(timeout, "timeout");
    this.options = RequestOptions.builder()
        .callTimeout(timeout)
        .connectTimeout(timeout)
        .readTimeout(timeout)
        .maxAttempts(1)
        .build();
  }

  /** The outcome: whether Ollama is up, and details safe to show (never the key). */
  record Result(boolean up, Map<String, Object> details) {}

  Result check() {
    if (client instanceof OllamaServers servers) {
      return check(servers.status());
    }
    Map<String, Object> details = new LinkedHashMap<>();
    details.put("location", client.baseUrl());
    try {
      details.put("version", client.version(options));
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

  /**
   * Several servers, as the router knows them now (from its polls, every {@code ps-interval}, and
   * the answers of calls; no call is made here): up while at least one server is usable, each
   * server under {@code servers} with its own status, location, reason and loaded models.
   */
  static Result check(List<OllamaServers.ServerStatus> status) {
    Map<String, Object> servers = new LinkedHashMap<>();
    boolean anyUp = false;
    for (OllamaServers.ServerStatus s : status) {
      Map<String, Object> entry = new LinkedHashMap<>();
      entry.put("status", s.usable() ? "UP" : "DOWN");
      entry.put("location", s.baseUrl());
      if (!s.usable()) {
        entry.put("reason", s.reason());
      }
      entry.put("loaded", s.loaded().stream().sorted().toList());
      entry.put("inFlight", s.inFlight());
      servers.put(s.name(), entry);
      anyUp |= s.usable();
    }
    Map<String, Object> details = new LinkedHashMap<>();
    details.put("servers", servers);
    return new Result(anyUp, details);
  }
}
