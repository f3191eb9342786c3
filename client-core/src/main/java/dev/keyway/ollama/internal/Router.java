package dev.keyway.ollama.internal;

import dev.keyway.ollama.OllamaNoServerException;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * Picks the server for one attempt: loaded, then installed, then any; among equals the fewest in
 * flight, then declaration order. A pick and its in-flight increment happen under one lock, so
 * concurrent calls spread instead of all seeing the same "least busy" server.
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

  Router(List<ServerState> servers) {
    this.servers = List.copyOf(servers);
  }

  /** A pick: the server (in flight counted, breaker permission held) and whether others remain. */
  record Pick(ServerState server, boolean othersRemain) {}

  /**
   * Picks a server not in {@code tried}, counts the call in flight there and takes a permission
   * from its breaker; null when none is usable.
   */
  synchronized @Nullable Pick acquire(@Nullable String model, Set<ServerState> tried, @Nullable String stickyKey) {
    java.util.HashSet<ServerState> refused = new java.util.HashSet<>(tried);
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
