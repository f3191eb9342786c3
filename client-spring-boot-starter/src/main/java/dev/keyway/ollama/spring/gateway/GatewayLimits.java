package dev.keyway.ollama.spring.gateway;

import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.Principal;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;

/**
 * Applies {@code ollama.limits.*} to one call: before it, the request bucket, a hold on the token
 * bucket (up to {@code tokens.reserve}, so that concurrent calls cannot all pass on one token
 * left), the caller's in-flight cap and the global one, each one store decision; after it, the hold
 * settled with the tokens used and the permits released ({@link Admission#finish}). For HTTP,
 * {@link #admit} answers a refusal itself: 429 with {@code Retry-After}, the IETF
 * {@code RateLimit-Policy}/{@code RateLimit} headers and Ollama's {@code {"error": ...}} body, or
 * 503 when the shared store cannot answer (policy reject) or the global cap is reached.
 */
final class GatewayLimits implements OllamaUsageLimits {
  private static final System.Logger LOG = System.getLogger(GatewayLimits.class.getName());

  /** Denial reasons: the {@code reason} of the audit event and the metric tag. Low cardinality. */
  static final String REQUESTS = UsageLimitException.Reason.REQUESTS.tag();
  static final String TOKENS = UsageLimitException.Reason.TOKENS.tag();
  static final String CONCURRENT_STREAMS = UsageLimitException.Reason.CONCURRENT_STREAMS.tag();
  static final String GLOBAL_CONCURRENT_STREAMS = UsageLimitException.Reason.GLOBAL_CONCURRENT_STREAMS.tag();
  static final String STORE_UNAVAILABLE = UsageLimitException.Reason.STORE_UNAVAILABLE.tag();

  /** Store states, as health and the {@code ollama.limits.store.state} gauge show them. */
  static final String SHARED = "shared";
  static final String LOCAL_FALLBACK = "local-fallback";
  static final String DOWN = "down";
  static final String LOCAL = "local";
  static final List<String> STORE_STATES = List.of(SHARED, LOCAL_FALLBACK, DOWN, LOCAL);

  /** The in-flight counter of all callers together; caller counters are 32 hex digits. */
  private static final String GLOBAL = "global";

  /** One refusal, as told to the audit log and metrics: never a credential or prompt text. */
  record Denial(String reason, String caller, @Nullable String principal, String path, @Nullable String model) {}

  /** Receives every refusal. */
  interface DenialSink {
    void denied(Denial denial);
  }

  private final @Nullable Integer requestCapacity;
  private final Duration requestPeriod;
  private final @Nullable Long tokenCapacity;
  private final Duration tokenPeriod;
  private final long tokenReserve;
  private final @Nullable Integer concurrentStreams;
  private final @Nullable Integer globalStreams;
  private final LimitStore store;
  private final @Nullable LimitStore fallback;
  private final @Nullable CircuitBreaker breaker;
  private final @Nullable CallerResolver resolver;
  private final List<DenialSink> sinks;
  private final CallerHash callers;

  /**
   * @param breaker guards {@code store} when it is shared; null for the local store
   * @param fallback used while {@code store} fails (store-failure=local); null refuses with 503
   * @param callers what a caller id becomes in store keys and denials
   */
  GatewayLimits(OllamaLimitsProperties properties, LimitStore store, @Nullable LimitStore fallback,
      @Nullable CircuitBreaker breaker, @Nullable CallerResolver resolver, List<DenialSink> sinks,
      CallerHash callers) {
    this.requestCapacity = properties.getRequests().getCapacity();
    this.requestPeriod = properties.getRequests().getPeriod();
    this.tokenCapacity = properties.getTokens().getCapacity();
    this.tokenPeriod = properties.getTokens().getPeriod();
    this.tokenReserve = Math.max(1, properties.getTokens().getReserve());
    this.concurrentStreams = properties.getConcurrentStreams();
    this.globalStreams = properties.getGlobalConcurrentStreams();
    this.store = store;
    this.fallback = fallback;
    this.breaker = breaker;
    this.resolver = resolver;
    this.sinks = List.copyOf(sinks);
    this.callers = callers;
  }

  /** The shared store cannot answer and there is no fallback. */
  private static final class StoreDown extends Exception {
    private static final long serialVersionUID = 1L;

    StoreDown() {
      super(null, null, false, false);
    }
  }

  /** The store a call's decisions go to: the shared one until it fails once, then the fallback. */
  private final class Route {
    LimitStore used = store;

    <T> T run(Function<LimitStore, T> decision) throws StoreDown {
      if (used != store || breaker == null) {
        return decision.apply(used);
      }
      try {
        return breaker.executeSupplier(() -> decision.apply(store));
      } catch (RuntimeException failed) {
        LOG.log(System.Logger.Level.DEBUG, () -> "limits: shared store failed: " + failed.getClass().getName());
        if (fallback == null) {
          throw new StoreDown();
        }
        used = fallback;
        return decision.apply(fallback);
      }
    }

    /** Runs an after-the-call step; a failure is logged, never thrown (the permit's TTL frees it). */
    void quietly(Consumer<LimitStore> step, String lost) {
      try {
        run(s -> {
          step.accept(s);
          return null;
        });
      } catch (StoreDown | RuntimeException e) {
        LOG.log(System.Logger.Level.DEBUG, lost);
      }
    }
  }

  /** A call that passed the limits; {@link #finish} (or {@link #close}) once when it ends, however it ends. */
  final class Admission implements UsagePermit {
    private final String caller;
    private final Route route;
    private final long held;
    private final @Nullable String callerPermit;
    private final @Nullable String globalPermit;
    private final AtomicLong charged = new AtomicLong();
    private final AtomicBoolean finished = new AtomicBoolean();

    private Admission(String caller, Route route, long held, @Nullable String callerPermit,
        @Nullable String globalPermit) {
      this.caller = caller;
      this.route = route;
      this.held = held;
      this.callerPermit = callerPermit;
      this.globalPermit = globalPermit;
    }

    @Override
    public void charge(long tokens) {
      if (tokens > 0) {
        charged.addAndGet(tokens);
      }
    }

    @Override
    public void close() {
      finish(0);
    }

    /**
     * Settles the token hold with {@code tokens} plus what was {@linkplain #charge charged} and
     * releases the permits; later calls do nothing.
     */
    void finish(long tokens) {
      if (!finished.compareAndSet(false, true)) {
        return;
      }
      release(route, caller, callerPermit, globalPermit);
      long used = Math.max(0, tokens) + charged.get();
      if (tokenCapacity != null && used != held) {
        route.quietly(s -> s.settleTokens(caller, held, used), "limits: token charge lost, the store could not answer");
      }
    }
  }

  private static void release(Route route, String caller, @Nullable String callerPermit, @Nullable String globalPermit) {
    if (callerPermit != null) {
      route.quietly(s -> s.releaseStream(caller, callerPermit), "limits: in-flight permit not released; it expires with its TTL");
    }
    if (globalPermit != null) {
      route.quietly(s -> s.releaseStream(GLOBAL, globalPermit), "limits: global permit not released; it expires with its TTL");
    }
  }

  /** A decision: an admission, or a refusal with what its answer says. */
  private record Decision(@Nullable Admission admission, UsageLimitException.@Nullable Reason reason,
      long nanosToWait, String message, List<String> state) {}

  /** Runs the limits for the hashed {@code caller}, rolling back what was taken when a later limit refuses. */
  private Decision decide(String caller) throws StoreDown {
    Route route = new Route();
    List<String> state = new ArrayList<>();
    if (requestCapacity != null) {
      LimitStore.Probe probe = route.run(s -> s.takeRequest(caller));
      state.add(rateLimit(REQUESTS, probe.passed(), probe.remaining(), probe.nanosToWait(), requestCapacity, requestPeriod));
      if (!probe.passed()) {
        return refusal(UsageLimitException.Reason.REQUESTS, probe.nanosToWait(),
            "too many requests; try again in " + seconds(probe.nanosToWait()) + " s", state);
      }
    }
    long held = 0;
    if (tokenCapacity != null) {
      LimitStore.Hold hold = route.run(s -> s.holdTokens(caller, tokenReserve));
      held = hold.held();
      state.add(rateLimit(TOKENS, held > 0, hold.remaining(), hold.nanosToWait(), tokenCapacity, tokenPeriod));
      if (held == 0) {
        return refusal(UsageLimitException.Reason.TOKENS, hold.nanosToWait(),
            "token quota used up; try again in " + seconds(hold.nanosToWait()) + " s", state);
      }
    }
    String callerPermit = null;
    String globalPermit = null;
    try {
      if (concurrentStreams != null) {
        int max = concurrentStreams;
        String permit = UUID.randomUUID().toString();
        if (!route.run(s -> s.acquireStream(caller, permit, max))) {
          giveBack(route, caller, held, null);
          return refusal(UsageLimitException.Reason.CONCURRENT_STREAMS, 1_000_000_000L,
              "too many calls in flight for this caller", state);
        }
        callerPermit = permit;
      }
      if (globalStreams != null) {
        int max = globalStreams;
        String permit = UUID.randomUUID().toString();
        if (!route.run(s -> s.acquireStream(GLOBAL, permit, max))) {
          giveBack(route, caller, held, callerPermit);
          return refusal(UsageLimitException.Reason.GLOBAL_CONCURRENT_STREAMS, 1_000_000_000L,
              "server busy, please try again", state);
        }
        globalPermit = permit;
      }
    } catch (StoreDown down) {
      giveBack(route, caller, held, callerPermit);
      throw down;
    }
    return new Decision(new Admission(caller, route, held, callerPermit, globalPermit), null, 0, "", state);
  }

  /** Undoes a token hold and a caller permit of a call refused by a later limit. */
  private void giveBack(Route route, String caller, long held, @Nullable String callerPermit) {
    release(route, caller, callerPermit, null);
    if (held > 0) {
      route.quietly(s -> s.settleTokens(caller, held, 0), "limits: token hold not given back, the store could not answer");
    }
  }

  private static Decision refusal(UsageLimitException.Reason reason, long nanosToWait, String message, List<String> state) {
    return new Decision(null, reason, nanosToWait, message, state);
  }

  @Override
  public String callerId(HttpServletRequest request) {
    if (resolver != null) {
      return resolver.resolve(request);
    }
    Principal principal = request.getUserPrincipal();
    return principal != null ? "principal:" + principal.getName() : "address:" + request.getRemoteAddr();
  }

  @Override
  public UsagePermit acquire(String callerId) {
    String caller = callers.hash(callerId);
    Decision decision;
    try {
      decision = decide(caller);
    } catch (StoreDown down) {
      record(new Denial(STORE_UNAVAILABLE, caller, null, "", null));
      throw new UsageLimitException(UsageLimitException.Reason.STORE_UNAVAILABLE, Duration.ofSeconds(1),
          "usage limits are unavailable; try again shortly");
    }
    UsageLimitException.Reason reason = decision.reason();
    if (reason != null) {
      record(new Denial(reason.tag(), caller, null, "", null));
      throw new UsageLimitException(reason, Duration.ofSeconds(seconds(decision.nanosToWait())), decision.message());
    }
    return Objects.requireNonNull(decision.admission());
  }

  @Override
  public CallerUsage usage(String callerId) {
    String caller = callers.hash(callerId);
    LimitStore.Usage usage;
    try {
      usage = new Route().run(s -> s.usage(caller));
    } catch (StoreDown down) {
      throw new UsageLimitException(UsageLimitException.Reason.STORE_UNAVAILABLE, Duration.ofSeconds(1),
          "usage limits are unavailable; try again shortly");
    }
    return new CallerUsage(requestCapacity == null ? null : usage.requests(),
        tokenCapacity == null ? null : usage.tokens(), concurrentStreams == null ? 0 : usage.streams());
  }

  /**
   * Where decisions go now, read from the circuit alone (no I/O): {@link #LOCAL} for the local
   * store, {@link #SHARED} while the shared store's circuit is closed, else {@link #LOCAL_FALLBACK}
   * or {@link #DOWN} by the store-failure policy.
   */
  String storeState() {
    if (breaker == null) {
      return LOCAL;
    }
    CircuitBreaker.State state = breaker.getState();
    return state == CircuitBreaker.State.CLOSED ? SHARED : degraded();
  }

  /**
   * As {@link #storeState}, after asking the shared store through the circuit (one round trip,
   * bounded by the store timeout; immediate while the circuit is open). A failed check counts
   * toward opening the circuit, and a check after the open interval is its half-open probe.
   */
  String checkStore() {
    if (breaker == null) {
      return LOCAL;
    }
    try {
      breaker.executeRunnable(store::ping);
    } catch (RuntimeException failed) {
      return degraded();
    }
    return storeState();
  }

  private String degraded() {
    return fallback != null ? LOCAL_FALLBACK : DOWN;
  }

  /**
   * Decides whether an HTTP call may go ahead. Returns the admission, or null after answering the
   * refusal on {@code response}.
   */
  @Nullable Admission admit(HttpServletRequest request, HttpServletResponse response, String path,
      @Nullable String model) throws IOException {
    Principal principal = request.getUserPrincipal();
    String principalName = principal == null ? null : principal.getName();
    String caller = callers.hash(callerId(request));
    List<String> policies = new ArrayList<>();
    if (requestCapacity != null) {
      policies.add("\"requests\";q=" + requestCapacity + ";w=" + requestPeriod.toSeconds());
    }
    if (tokenCapacity != null) {
      policies.add("\"tokens\";q=" + tokenCapacity + ";w=" + tokenPeriod.toSeconds());
    }
    if (!policies.isEmpty()) {
      response.setHeader("RateLimit-Policy", String.join(", ", policies));
    }
    Decision decision;
    try {
      decision = decide(caller);
    } catch (StoreDown down) {
      record(new Denial(STORE_UNAVAILABLE, caller, principalName, path, model));
      response.setStatus(503);
      response.setHeader("Retry-After", "1");
      body(response, "usage limits are unavailable; try again shortly");
      return null;
    }
    if (!decision.state().isEmpty()) {
      response.setHeader("RateLimit", String.join(", ", decision.state()));
    }
    UsageLimitException.Reason reason = decision.reason();
    if (reason != null) {
      record(new Denial(reason.tag(), caller, principalName, path, model));
      response.setStatus(reason.status());
      response.setHeader("Retry-After", Long.toString(seconds(decision.nanosToWait())));
      body(response, decision.message());
      return null;
    }
    return decision.admission();
  }

  private void record(Denial denial) {
    for (DenialSink sink : sinks) {
      try {
        sink.denied(denial);
      } catch (RuntimeException e) {
        LOG.log(System.Logger.Level.WARNING, "limits: a denial listener failed: " + e.getClass().getName());
      }
    }
  }

  private static void body(HttpServletResponse response, String message) throws IOException {
    response.setContentType("application/json; charset=utf-8");
    // Messages are fixed text and numbers: nothing to escape.
    response.getOutputStream().write(("{\"error\":\"" + message + "\"}").getBytes(StandardCharsets.UTF_8));
  }

  /** {@code "name";r=remaining;t=seconds}: t is when the bucket is full again, or when one unit is back. */
  private static String rateLimit(String name, boolean passed, long remainingTokens, long nanosToWait,
      long capacity, Duration period) {
    long remaining = Math.max(0, remainingTokens);
    long t = passed
        ? (long) Math.ceil((double) (capacity - Math.min(capacity, remaining)) * period.toSeconds() / capacity)
        : seconds(nanosToWait);
    return "\"" + name + "\";r=" + remaining + ";t=" + t;
  }

  /** Whole seconds, rounded up, at least 1. */
  static long seconds(long nanos) {
    return Math.max(1, (nanos + 999_999_999L) / 1_000_000_000L);
  }

}
