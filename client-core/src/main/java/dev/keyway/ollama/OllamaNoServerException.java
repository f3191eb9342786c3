package dev.keyway.ollama;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * No server of an {@link OllamaServers} could take the call: each one's credential was rejected,
 * it is unreachable, its circuit breaker is open, or it is at its max-concurrent.
 * {@link #reasons()} says which, per server name.
 */
public class OllamaNoServerException extends OllamaException {
  private static final long serialVersionUID = 1L;

  private final transient Map<String, String> reasons;

  public OllamaNoServerException(Map<String, String> reasons) {
    super("No usable Ollama server for this call: " + reasons);
    this.reasons = Collections.unmodifiableMap(new LinkedHashMap<>(reasons));
  }

  /** Why each server was not usable, by server name; see {@link OllamaServers.ServerStatus#reason()}. */
  public Map<String, String> reasons() {
    return reasons;
  }
}
