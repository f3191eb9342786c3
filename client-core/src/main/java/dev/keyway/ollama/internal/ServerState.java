package dev.keyway.ollama.internal;

import dev.keyway.ollama.OllamaClient;
import dev.keyway.ollama.OllamaServers;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.jspecify.annotations.Nullable;

/** One server of a {@link RoutingOllamaClient}: its client and what the router knows of it. */
final class ServerState {
  final String name;
  final int index;
  final OllamaClient client;
  final int maxConcurrent;
  final CircuitBreaker breaker;
  final AtomicInteger inFlight = new AtomicInteger();
  /** Normalised names ({@code name:tag}); replaced whole, never mutated. */
  private volatile Set<String> loaded = Set.of();
  private volatile Set<String> installed = Set.of();
  /** 401 or 403 when the server rejected its credential; cleared by a poll that succeeds. */
  private volatile @Nullable Integer rejected;
  /** False after a connection failed; set again by a poll that reaches the server. */
  private volatile boolean reachable = true;
  /** {@link System#nanoTime()} when the breaker last opened. */
  private volatile long openedAt;
  /** How long the breaker stays open before it lets one probe through. */
  private final long openNanos;

  ServerState(String name, int index, OllamaClient client, int maxConcurrent, CircuitBreaker breaker) {
    this.name = name;
    this.index = index;
    this.client = client;
    this.maxConcurrent = maxConcurrent;
    this.breaker = breaker;
    this.openNanos = TimeUnit.MILLISECONDS.toNanos(
        breaker.getCircuitBreakerConfig().getWaitIntervalFunctionInOpenState().apply(1));
    breaker.getEventPublisher().onStateTransition(e -> {
      if (e.getStateTransition().getToState() == CircuitBreaker.State.OPEN) {
        openedAt = System.nanoTime();
      }
    });
  }

  /** 0 loaded, 1 installed, 2 neither (or no model). */
  int tier(@Nullable String model) {
    if (model == null) {
      return 2;
    }
    if (loaded.contains(model)) {
      return 0;
    }
    return installed.contains(model) ? 1 : 2;
  }

  /** Why the router must not pick this server, ignoring the breaker; null when it may. */
  @Nullable String unusableReason() {
    Integer status = rejected;
    if (status != null) {
      return "credential rejected (" + status + ")";
    }
    if (!reachable) {
      return "unreachable";
    }
    if (maxConcurrent > 0 && inFlight.get() >= maxConcurrent) {
      return "at max-concurrent";
    }
    return null;
  }

  /** Whether the only thing against this server is its max-concurrent: a release makes it usable. */
  boolean onlyFull() {
    return rejected == null && reachable && maxConcurrent > 0 && inFlight.get() >= maxConcurrent;
  }

  /**
   * Whether the only thing against this server is a failed connection: the router still tries it
   * when no other server is usable, since it may be back before its next poll.
   */
  boolean onlyUnreachable() {
    return rejected == null && !reachable
        && (maxConcurrent == 0 || inFlight.get() < maxConcurrent);
  }

  OllamaServers.ServerStatus status() {
    String reason = unusableReason();
    // An open breaker whose wait is over stays OPEN until a call asks it for a permission, which
    // the router gives: from then on the server is usable (for one probe), whatever getState says.
    if (reason == null && breaker.getState() == CircuitBreaker.State.OPEN
        && System.nanoTime() - openedAt < openNanos) {
      reason = "circuit open";
    }
    return new OllamaServers.ServerStatus(name, client.baseUrl(), reason == null,
        reason == null ? "" : reason, loaded, installed, inFlight.get(), rejected != null);
  }

  /** Guarded by {@code this}: the latest poll started, and the latest applied, per list. */
  private long psTickets;
  private long psApplied;
  private long tagsTickets;
  private long tagsApplied;

  /** Taken before a {@code /api/ps} request: an older poll's late answer must not win. */
  synchronized long psTicket() {
    return ++psTickets;
  }

  synchronized long tagsTicket() {
    return ++tagsTickets;
  }

  synchronized void polledLoaded(long ticket, Set<String> models) {
    if (ticket > psApplied) {
      psApplied = ticket;
      loaded = Set.copyOf(models);
    }
    answered();
  }

  synchronized void polledInstalled(long ticket, Set<String> models) {
    if (ticket > tagsApplied) {
      tagsApplied = ticket;
      installed = Set.copyOf(models);
    }
    answered();
  }

  /** The server answered with its credential accepted. */
  void answered() {
    rejected = null;
    reachable = true;
  }

  void rejected(int status) {
    rejected = status;
  }

  synchronized void unreachable() {
    reachable = false;
    loaded = Set.of();
  }

  /** The server answered a call that loads {@code model}: it is loaded there now. */
  synchronized void loadedByAnswer(String model) {
    if (!loaded.contains(model)) {
      Set<String> next = new HashSet<>(loaded);
      next.add(model);
      loaded = Set.copyOf(next);
    }
  }

  /** The server said it does not have {@code model}. */
  synchronized void missing(String model) {
    if (loaded.contains(model)) {
      Set<String> next = new HashSet<>(loaded);
      next.remove(model);
      loaded = Set.copyOf(next);
    }
    if (installed.contains(model)) {
      Set<String> next = new HashSet<>(installed);
      next.remove(model);
      installed = Set.copyOf(next);
    }
  }

  @Override
  public String toString() {
    return "ServerState{" + name + "}";
  }
}
