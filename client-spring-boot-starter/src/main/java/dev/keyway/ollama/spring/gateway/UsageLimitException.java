package dev.keyway.ollama.spring.gateway;

import java.time.Duration;

/**
 * A call refused by the usage limits ({@link OllamaUsageLimits#acquire}), or the limits' shared
 * store unable to answer. Carries what an HTTP answer needs; never the caller's id.
 */
public final class UsageLimitException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /** Which limit refused. {@link #tag()} is the audit event's {@code reason} and the metric tag. */
  public enum Reason {
    /** The caller's request bucket is empty (429). */
    REQUESTS("requests", 429),
    /** The caller's token quota is used up (429). */
    TOKENS("tokens", 429),
    /** The caller has {@code ollama.limits.concurrent-streams} calls in flight (429). */
    CONCURRENT_STREAMS("concurrent-streams", 429),
    /** All callers together have {@code ollama.limits.global-concurrent-streams} in flight (503). */
    GLOBAL_CONCURRENT_STREAMS("global-concurrent-streams", 503),
    /** The shared store cannot answer and {@code store-failure=reject} (503). */
    STORE_UNAVAILABLE("store-unavailable", 503);

    private final String tag;
    private final int status;

    Reason(String tag, int status) {
      this.tag = tag;
      this.status = status;
    }

    /** The low-cardinality name of the reason, as audited and counted. */
    public String tag() {
      return tag;
    }

    /** The HTTP status that answers it: 429 for the caller's own limits, 503 otherwise. */
    public int status() {
      return status;
    }
  }

  private final Reason reason;
  private final Duration retryAfter;

  UsageLimitException(Reason reason, Duration retryAfter, String message) {
    super(message, null, false, false);
    this.reason = reason;
    this.retryAfter = retryAfter;
  }

  /** Which limit refused. */
  public Reason reason() {
    return reason;
  }

  /** How long to wait before trying again: whole seconds, at least one. */
  public Duration retryAfter() {
    return retryAfter;
  }

  /** The HTTP status for this refusal ({@link Reason#status()}). */
  public int status() {
    return reason.status();
  }
}
