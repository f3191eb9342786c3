package dev.keyway.ollama.spring.gateway;

import java.time.Duration;
import org.jspecify.annotations.Nullable;
import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * Per-caller usage limits on the gateway, under {@code ollama.limits.*}. Each limit is optional:
 * one left unset does not apply. See docs/limits.md for how callers are identified and when
 * tokens are charged.
 */
@ConfigurationProperties("ollama.limits")
public class OllamaLimitsProperties {

  /** Whether to apply the limits below to the gateway's model calls (chat, generate, embed). */
  private boolean enabled;

  /** Requests per caller: a bucket of capacity requests, refilled over period. */
  private final Requests requests = new Requests();

  /**
   * Model tokens per caller (prompt_eval_count + eval_count), charged when a call ends. A caller
   * whose quota is used up is refused until it refills; a call already running is not cut.
   */
  private final Tokens tokens = new Tokens();

  /** Calls in flight at once per caller. Refusals are immediate. Empty means no cap. */
  private @Nullable Integer concurrentStreams;

  /**
   * Calls in flight at once for all callers together, to protect the GPU itself; a call beyond it
   * gets 503 at once, like Ollama's own "server busy". Empty means no cap.
   */
  private @Nullable Integer globalConcurrentStreams;

  /** Where the buckets and counters live: local (this instance's memory) or redis (shared). */
  private Store store = Store.LOCAL;

  /**
   * What to do when the shared store cannot answer within store-timeout: reject (503) or local
   * (fall back to this instance's own buckets until the store answers again).
   */
  private StoreFailure storeFailure = StoreFailure.REJECT;

  /**
   * Longest a limit decision may wait for the shared store before the failure policy applies. It
   * bounds all of a decision's compare-and-swap retries together, so it needs headroom for a burst
   * of calls from one caller.
   */
  private Duration storeTimeout = Duration.ofSeconds(1);

  /**
   * Lifetime of a caller's in-flight counter in the shared store after its last acquire, so that
   * permits held by a crashed instance are freed. Set it above the longest call you expect.
   */
  private Duration streamPermitTtl = Duration.ofMinutes(15);

  public boolean isEnabled() {
    return enabled;
  }

  public void setEnabled(boolean enabled) {
    this.enabled = enabled;
  }

  public Requests getRequests() {
    return requests;
  }

  public Tokens getTokens() {
    return tokens;
  }

  public @Nullable Integer getConcurrentStreams() {
    return concurrentStreams;
  }

  public void setConcurrentStreams(@Nullable Integer concurrentStreams) {
    this.concurrentStreams = concurrentStreams;
  }

  public @Nullable Integer getGlobalConcurrentStreams() {
    return globalConcurrentStreams;
  }

  public void setGlobalConcurrentStreams(@Nullable Integer globalConcurrentStreams) {
    this.globalConcurrentStreams = globalConcurrentStreams;
  }

  public Store getStore() {
    return store;
  }

  public void setStore(Store store) {
    this.store = store;
  }

  public StoreFailure getStoreFailure() {
    return storeFailure;
  }

  public void setStoreFailure(StoreFailure storeFailure) {
    this.storeFailure = storeFailure;
  }

  public Duration getStoreTimeout() {
    return storeTimeout;
  }

  public void setStoreTimeout(Duration storeTimeout) {
    this.storeTimeout = storeTimeout;
  }

  public Duration getStreamPermitTtl() {
    return streamPermitTtl;
  }

  public void setStreamPermitTtl(Duration streamPermitTtl) {
    this.streamPermitTtl = streamPermitTtl;
  }

  /**
   * Refuses settings that cannot mean what they say (a capacity of zero, a negative period), naming
   * the property to fix.
   *
   * @throws IllegalArgumentException for the first such setting
   */
  void check() {
    positive("ollama.limits.requests.capacity", requests.capacity);
    positive("ollama.limits.requests.period", requests.period);
    positive("ollama.limits.tokens.capacity", tokens.capacity);
    positive("ollama.limits.tokens.period", tokens.period);
    positive("ollama.limits.tokens.reserve", tokens.reserve);
    positive("ollama.limits.concurrent-streams", concurrentStreams);
    positive("ollama.limits.global-concurrent-streams", globalConcurrentStreams);
    positive("ollama.limits.store-timeout", storeTimeout);
    positive("ollama.limits.stream-permit-ttl", streamPermitTtl);
    if (requests.period.toSeconds() < 1 || tokens.period.toSeconds() < 1) {
      throw new IllegalArgumentException("ollama.limits.requests.period and ollama.limits.tokens.period must be"
          + " at least 1s (the RateLimit headers count whole seconds)");
    }
  }

  private static void positive(String property, @Nullable Number value) {
    if (value != null && value.longValue() <= 0) {
      throw new IllegalArgumentException(property + " must be positive (was " + value + "); leave it unset for no limit");
    }
  }

  private static void positive(String property, Duration value) {
    if (value.isNegative() || value.isZero()) {
      throw new IllegalArgumentException(property + " must be a positive duration (was " + value + ")");
    }
  }

  /** Where limit state is kept. */
  public enum Store {
    /** This instance's memory; idle callers expire. Each instance enforces its own budget. */
    LOCAL,
    /** The Redis that Spring Boot's own auto-configuration connects to; one budget across instances. */
    REDIS
  }

  /** What happens while the shared store cannot answer. */
  public enum StoreFailure {
    /** Refuse model calls with 503 until the store answers again. */
    REJECT,
    /** Use this instance's own buckets until the store answers again. */
    LOCAL
  }

  /** Requests per caller. */
  public static class Requests {
    /** Requests a caller may make in a burst; empty means no request limit. */
    private @Nullable Integer capacity;

    /** Time over which a caller's full capacity of requests is refilled. */
    private Duration period = Duration.ofMinutes(1);

    public @Nullable Integer getCapacity() {
      return capacity;
    }

    public void setCapacity(@Nullable Integer capacity) {
      this.capacity = capacity;
    }

    public Duration getPeriod() {
      return period;
    }

    public void setPeriod(Duration period) {
      this.period = period;
    }
  }

  /** Model tokens per caller. */
  public static class Tokens {
    /** Model tokens (prompt plus output) a caller may use per period; empty means no token quota. */
    private @Nullable Long capacity;

    /** Time over which a caller's full token quota is refilled. */
    private Duration period = Duration.ofHours(1);

    /**
     * Tokens held from the quota when a call is admitted (as many as are left, up to this), then
     * settled with what the call used when it ends. Concurrent calls therefore cannot all pass on
     * a quota that covers only one of them; set it near what a typical call uses.
     */
    private long reserve = 1024;

    public long getReserve() {
      return reserve;
    }

    public void setReserve(long reserve) {
      this.reserve = reserve;
    }

    public @Nullable Long getCapacity() {
      return capacity;
    }

    public void setCapacity(@Nullable Long capacity) {
      this.capacity = capacity;
    }

    public Duration getPeriod() {
      return period;
    }

    public void setPeriod(Duration period) {
      this.period = period;
    }
  }
}
