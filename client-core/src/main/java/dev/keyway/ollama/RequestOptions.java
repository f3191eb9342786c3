package dev.keyway.ollama;

import java.time.Duration;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * Per-call overrides of the client's timeouts and retries. Unset values keep the client's settings.
 *
 * <pre>{@code
 * client.chat(request, RequestOptions.builder().callTimeout(Duration.ofSeconds(30)).build());
 * }</pre>
 */
public final class RequestOptions {
  private static final RequestOptions NONE = new Builder().build();

  private final @Nullable Duration connectTimeout;
  private final @Nullable Duration readTimeout;
  private final @Nullable Duration callTimeout;
  private final @Nullable Integer maxAttempts;
  private final @Nullable Integer maxAttemptsPerServer;

  private RequestOptions(Builder b) {
    this.connectTimeout = b.connectTimeout;
    this.readTimeout = b.readTimeout;
    this.callTimeout = b.callTimeout;
    this.maxAttempts = b.maxAttempts;
    this.maxAttemptsPerServer = b.maxAttemptsPerServer;
  }

  /** No overrides. */
  public static RequestOptions none() {
    return NONE;
  }

  public static Builder builder() {
    return new Builder();
  }

  public @Nullable Duration connectTimeout() {
    return connectTimeout;
  }

  public @Nullable Duration readTimeout() {
    return readTimeout;
  }

  public @Nullable Duration callTimeout() {
    return callTimeout;
  }

  /**
   * Most attempts this call may make, the first included; {@code null} keeps the client's retry
   * policy. {@code 1} means no retry.
   */
  public @Nullable Integer maxAttempts() {
    return maxAttempts;
  }

  /**
   * Most attempts this call may make on any one server, the first included; {@code null} sets no
   * such limit. See {@link Builder#maxAttemptsPerServer(int)}.
   */
  public @Nullable Integer maxAttemptsPerServer() {
    return maxAttemptsPerServer;
  }

  /** Whether any value is set. */
  public boolean hasOverrides() {
    return hasTimeoutOverrides() || maxAttempts != null || maxAttemptsPerServer != null;
  }

  /** Whether a timeout is set. */
  public boolean hasTimeoutOverrides() {
    return connectTimeout != null || readTimeout != null || callTimeout != null;
  }

  @Override
  public String toString() {
    return "RequestOptions{connectTimeout=" + connectTimeout + ", readTimeout=" + readTimeout
        + ", callTimeout=" + callTimeout + ", maxAttempts=" + maxAttempts
        + ", maxAttemptsPerServer=" + maxAttemptsPerServer + "}";
  }

  /** Builds {@link RequestOptions}. */
  public static final class Builder {
    private @Nullable Duration connectTimeout;
    private @Nullable Duration readTimeout;
    private @Nullable Duration callTimeout;
    private @Nullable Integer maxAttempts;
    private @Nullable Integer maxAttemptsPerServer;

    private Builder() {}

    /** Time allowed to open the connection. */
    public Builder connectTimeout(Duration timeout) {
      this.connectTimeout = positive("connectTimeout", timeout);
      return this;
    }

    /** Longest silence allowed between two reads, for example between two stream lines. */
    public Builder readTimeout(Duration timeout) {
      this.readTimeout = positive("readTimeout", timeout);
      return this;
    }

    /** Limit on the whole call, from sending the request to the last byte of the answer. */
    public Builder callTimeout(Duration timeout) {
      this.callTimeout = positive("callTimeout", timeout);
      return this;
    }

    /**
     * Most attempts for this call, the first included: {@code 1} turns retries off (a health
     * check, or a gateway that passes a 503 and its {@code Retry-After} on to its own caller). It
     * can only lower what the client's retry policy allows, never raise it.
     */
    public Builder maxAttempts(int attempts) {
      if (attempts < 1) {
        throw new IllegalArgumentException("maxAttempts must be at least 1, was " + attempts);
      }
      this.maxAttempts = attempts;
      return this;
    }

    /**
     * Most attempts for this call on any one server, the first included. A client of one server
     * makes at most this many attempts in all, as with {@link #maxAttempts(int)}; {@link
     * OllamaServers} may still move the call to other servers within its budget ({@link
     * #maxAttempts(int)}, else {@link OllamaServers.Builder#maxAttempts(int)}), trying each at most
     * this many times. {@code 1} is for a relay such as Keyway's gateway: an overloaded server is
     * never retried on its caller's behalf, yet a call it refuses before answering goes to another
     * server. Like {@code maxAttempts}, it only lowers what the retry policy allows. An attempt is
     * one request: OkHttp's own repeat of a 503 with {@code Retry-After: 0} or of a 408 is turned
     * off, so such a server is asked once too.
     */
    public Builder maxAttemptsPerServer(int attempts) {
      if (attempts < 1) {
        throw new IllegalArgumentException("maxAttemptsPerServer must be at least 1, was " + attempts);
      }
      this.maxAttemptsPerServer = attempts;
      return this;
    }

    public RequestOptions build() {
      return new RequestOptions(this);
    }
  }

  static Duration positive(String name, Duration value) {
    Objects.requireNonNull(value, name);
    if (value.isNegative() || value.isZero()) {
      throw new IllegalArgumentException(name + " must be positive, was " + value);
    }
    return value;
  }
}
