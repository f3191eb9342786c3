package dev.keyway.ollama.spring.gateway;

import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.Principal;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;

/**
 * Applies {@code ollama.limits.*} to one gateway call: before it, the request bucket, the token
 * bucket (any token left?) and the in-flight cap, each one store decision; after it, the token
 * charge and the permit's release ({@link Admission#finish}). A refusal is answered here: 429 with
 * {@code Retry-After}, the IETF {@code RateLimit-Policy}/{@code RateLimit} headers and Ollama's
 * {@code {"error": ...}} body, or 503 when the shared store cannot answer and the policy is reject.
 */
final class GatewayLimits {
  private static final System.Logger LOG = System.getLogger(GatewayLimits.class.getName());

  /** Denial reasons: the {@code reason} of the audit event and the metric tag. Low cardinality. */
  static final String REQUESTS = "requests";
  static final String TOKENS = "tokens";
  static final String CONCURRENT_STREAMS = "concurrent-streams";
  static final String STORE_UNAVAILABLE = "store-unavailable";

  /** Store states, as health and the {@code ollama.limits.store.state} gauge show them. */
  static final String SHARED = "shared";
  static final String LOCAL_FALLBACK = "local-fallback";
  static final String DOWN = "down";
  static final String LOCAL = "local";
  static final List<String> STORE_STATES = List.of(SHARED, LOCAL_FALLBACK, DOWN, LOCAL);

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
  private final @Nullable Integer concurrentStreams;
  private final LimitStore store;
  private final @Nullable LimitStore fallback;
  private final @Nullable CircuitBreaker breaker;
  private final @Nullable CallerResolver resolver;
  private final List<DenialSink> sinks;

  /**
   * @param breaker guards {@code store} when it is shared; null for the local store
   * @param fallback used while {@code store} fails (store-failure=local); null refuses with 503
   */
  GatewayLimits(OllamaLimitsProperties properties, LimitStore store, @Nullable LimitStore fallback,
      @Nullable CircuitBreaker breaker, @Nullable CallerResolver resolver, List<DenialSink> sinks) {
    this.requestCapacity = properties.getRequests().getCapacity();
    this.requestPeriod = properties.getRequests().getPeriod();
    this.tokenCapacity = properties.getTokens().getCapacity();
    this.tokenPeriod = properties.getTokens().getPeriod();
    this.concurrentStreams = properties.getConcurrentStreams();
    this.store = store;
    this.fallback = fallback;
    this.breaker = breaker;
    this.resolver = resolver;
    this.sinks = List.copyOf(sinks);
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
  }

  /** A call that passed the limits; {@link #finish} exactly once when it ends, however it ends. */
  final class Admission {
    private final String caller;
    private final Route route;
    private final boolean holdsStream;
    private final AtomicBoolean finished = new AtomicBoolean();

    private Admission(String caller, Route route, boolean holdsStream) {
      this.caller = caller;
      this.route = route;
      this.holdsStream = holdsStream;
    }

    /** Charges {@code tokens} and releases the in-flight permit; later calls do nothing. */
    void finish(long tokens) {
      if (!finished.compareAndSet(false, true)) {
        return;
      }
      if (holdsStream) {
        try {
          route.run(s -> {
            s.releaseStream(caller);
            return null;
          });
        } catch (StoreDown | RuntimeException e) {
          // The permit's TTL frees it in the shared store.
          LOG.log(System.Logger.Level.DEBUG, "limits: in-flight permit not released; it expires with its TTL");
        }
      }
      if (tokenCapacity != null && tokens > 0) {
        try {
          route.run(s -> {
            s.chargeTokens(caller, tokens);
            return null;
          });
        } catch (StoreDown | RuntimeException e) {
          LOG.log(System.Logger.Level.DEBUG, "limits: token charge lost, the store could not answer");
        }
      }
    }
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
   * Decides whether the call may go ahead. Returns the admission, or null after answering the
   * refusal on {@code response}.
   */
  @Nullable Admission admit(HttpServletRequest request, HttpServletResponse response, String path,
      @Nullable String model) throws IOException {
    Principal principal = request.getUserPrincipal();
    String principalName = principal == null ? null : principal.getName();
    String caller = hash(resolver != null ? "resolved:" + resolver.resolve(request)
        : principalName != null ? "principal:" + principalName : "address:" + request.getRemoteAddr());
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
    Route route = new Route();
    List<String> state = new ArrayList<>();
    try {
      if (requestCapacity != null) {
        LimitStore.Probe probe = route.run(s -> s.takeRequest(caller));
        state.add(rateLimit(REQUESTS, probe, requestCapacity, requestPeriod));
        if (!probe.passed()) {
          refuse(response, state, probe.nanosToWait(), "too many requests; try again in "
              + seconds(probe.nanosToWait()) + " s", new Denial(REQUESTS, caller, principalName, path, model));
          return null;
        }
      }
      if (tokenCapacity != null) {
        LimitStore.Probe probe = route.run(s -> s.checkTokens(caller));
        state.add(rateLimit(TOKENS, probe, tokenCapacity, tokenPeriod));
        if (!probe.passed()) {
          refuse(response, state, probe.nanosToWait(), "token quota used up; try again in "
              + seconds(probe.nanosToWait()) + " s", new Denial(TOKENS, caller, principalName, path, model));
          return null;
        }
      }
      boolean holdsStream = false;
      if (concurrentStreams != null) {
        int max = concurrentStreams;
        if (!route.run(s -> s.acquireStream(caller, max))) {
          refuse(response, state, 1_000_000_000L, "too many calls in flight for this caller",
              new Denial(CONCURRENT_STREAMS, caller, principalName, path, model));
          return null;
        }
        holdsStream = true;
      }
      if (!state.isEmpty()) {
        response.setHeader("RateLimit", String.join(", ", state));
      }
      return new Admission(caller, route, holdsStream);
    } catch (StoreDown down) {
      record(new Denial(STORE_UNAVAILABLE, caller, principalName, path, model));
      response.setStatus(503);
      response.setHeader("Retry-After", "1");
      body(response, "usage limits are unavailable; try again shortly");
      return null;
    }
  }

  private void refuse(HttpServletResponse response, List<String> state, long nanosToWait, String message,
      Denial denial) throws IOException {
    record(denial);
    response.setStatus(429);
    response.setHeader("Retry-After", Long.toString(seconds(nanosToWait)));
    if (!state.isEmpty()) {
      response.setHeader("RateLimit", String.join(", ", state));
    }
    body(response, message);
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
  private static String rateLimit(String name, LimitStore.Probe probe, long capacity, Duration period) {
    long remaining = Math.max(0, probe.remaining());
    long t = probe.passed()
        ? (long) Math.ceil((double) (capacity - Math.min(capacity, remaining)) * period.toSeconds() / capacity)
        : seconds(probe.nanosToWait());
    return "\"" + name + "\";r=" + remaining + ";t=" + t;
  }

  /** Whole seconds, rounded up, at least 1. */
  static long seconds(long nanos) {
    return Math.max(1, (nanos + 999_999_999L) / 1_000_000_000L);
  }

  /** SHA-256 of the caller id, 128 bits in hex: what store keys, audit events and logs carry. */
  static String hash(String id) {
    try {
      byte[] digest = MessageDigest.getInstance("SHA-256").digest(id.getBytes(StandardCharsets.UTF_8));
      return HexFormat.of().formatHex(digest, 0, 16);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
