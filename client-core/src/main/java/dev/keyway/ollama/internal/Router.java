package dev.keyway.ollama.internal;

import dev.keyway.ollama.OllamaNoServerException;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.jspecify.annotations.Nullable;

/**
 * Picks the server for one attempt: loaded, then installed, then any; among equals the fewest in
 * flight, then declaration order. A pick and its in-flight increment happen under one lock, so
 * concurrent calls spread instead of all seeing the same "least busy" server. A call that finds
 * every server it may use at its max-concurrent can wait, bounded, for one of them to release a
 * call ({@link #acquire(String, Set, String, long)}, {@link #onRelease}).
 */
final class Router {
  private static final int MAX_STICKY_KEYS = 10_000;

  private final List<ServerState> servers;
  /** Sticky key to server, least recently used evicted first. Guarded by {@code this}. */
  private final Map<String, ServerState> sticky =
      new LinkedHashMap<>(16, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, ServerState> eldest) {
          return size() > MAX_STICKY_KEYS;
        }
      };

  /** Threads in {@link #acquire(String, Set, String, long)} that may be waiting on {@code this}. */
  private final AtomicInteger waiting = new AtomicInteger();
  /** One-shot callbacks of asynchronous calls waiting for a release; each must be cheap. */
  private final Queue<Runnable> releaseCallbacks = new ConcurrentLinkedQueue<>();

  Router(List<ServerState> servers) {
    this.servers = List.copyOf(servers);
  }

  /**
   * Ends a call counted by {@link #acquire}: the server's in-flight count drops and a call waiting
   * for a slot is woken.
   */
  void release(ServerState server) {
    server.inFlight.decrementAndGet();
    if (waiting.get() > 0) {
      synchronized (this) {
        notifyAll();
      }
    }
    Runnable callback;
    while ((callback = releaseCallbacks.poll()) != null) {
      callback.run();
    }
  }

  /** Runs {@code callback} once, on the thread of the next {@link #release}. */
  void onRelease(Runnable callback) {
    releaseCallbacks.add(callback);
  }

  /**
   * Like {@link #acquire(String, Set, String)}, but when no server is usable only because the ones
   * left are at their max-concurrent, waits up to {@code waitNanos} for one to release a call.
   *
   * @throws InterruptedException if the thread is interrupted while waiting
   */
  @Nullable Pick acquire(@Nullable String model, Set<ServerState> tried, @Nullable String stickyKey,
      long waitNanos) throws InterruptedException {
    long deadline = System.nanoTime() + waitNanos;
    synchronized (this) {
      Pick pick = acquire(model, tried, stickyKey);
      if (pick != null || waitNanos <= 0 || !onlyFull(tried)) {
        return pick;
      }
      // Counted before the check below: a release after it sees the count and wakes this thread.
      waiting.incrementAndGet();
      try {
        while (true) {
          pick = acquire(model, tried, stickyKey);
          if (pick != null || !onlyFull(tried)) {
            return pick;
          }
          long left = deadline - System.nanoTime();
          if (left <= 0) {
            return null;
          }
          TimeUnit.NANOSECONDS.timedWait(this, left);
        }
      } finally {
        waiting.decrementAndGet();
      }
    }
  }

  /**
   * Whether a server not yet tried is kept away only by its max-concurrent, so that waiting can
   * help: none is usable now, and at least one is full with its credential accepted, reachable and
   * its breaker not open.
   */
  synchronized boolean onlyFull(Set<ServerState> tried) {
    for (ServerState s : servers) {
      if (!tried.contains(s) && s.onlyFull() && s.breaker.getState() != CircuitBreaker.State.OPEN) {
        return true;
      }
    }
    return false;
  }

  /** A pick: the server (in flight counted, breaker permission held) and whether others remain. */
  record Pick(ServerState server, boolean othersRemain) {}

  /**
   * Picks a server not in {@code tried}, counts the call in flight there and takes a permission
   * from its breaker; null when none is usable.
   */
  synchronized @Nullable Pick acquire(@Nullable String model, Set<ServerState> tried, @Nullable String stickyKey) {
    HashSet<ServerState> refused = new HashSet<>(tried);
    while (true) {
      ServerState pick = null;
      if (stickyKey != null) {
        ServerState held = sticky.get(stickyKey);
        if (held != null && usable(held, refused)) {
          pick = held;
        }
      }
      if (pick == null) {
        pick = best(model, refused, false);
      }
      if (pick == null) {
        pick = best(model, refused, true); // last resort: an unreachable server may be back
      }
      if (pick == null) {
        return null;
      }
      if (!pick.breaker.tryAcquirePermission()) {
        refused.add(pick);
        continue;
      }
      pick.inFlight.incrementAndGet();
      if (stickyKey != null) {
        sticky.put(stickyKey, pick);
      }
      refused.add(pick);
      return new Pick(pick, best(model, refused, true) != null);
    }
  }

  private @Nullable ServerState best(@Nullable String model, Set<ServerState> refused,
      boolean unreachableToo) {
    ServerState best = null;
    int bestTier = Integer.MAX_VALUE;
    int bestLoad = Integer.MAX_VALUE;
    for (ServerState s : servers) {
      if (!(usable(s, refused) || (unreachableToo && !refused.contains(s) && s.onlyUnreachable()))) {
        continue;
      }
      int tier = s.tier(model);
      int load = s.inFlight.get();
      if (tier < bestTier || (tier == bestTier && load < bestLoad)) {
        best = s;
        bestTier = tier;
        bestLoad = load;
      }
    }
    return best;
  }

  private static boolean usable(ServerState s, Set<ServerState> refused) {
    return !refused.contains(s) && s.unusableReason() == null;
  }

  /** The typed error for "nothing usable", with each server's reason. */
  OllamaNoServerException noServer() {
    Map<String, String> reasons = new LinkedHashMap<>();
    for (ServerState s : servers) {
      String reason = s.unusableReason();
      if (reason == null) {
        reason = s.breaker.getState() == CircuitBreaker.State.OPEN ? "circuit open" : "failed this call";
      }
      reasons.put(s.name, reason);
    }
    return new OllamaNoServerException(reasons);
  }
}
