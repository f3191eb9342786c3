package dev.keyway.ollama.spring.gateway;

/**
 * Where a caller's buckets and in-flight counter live, keyed by the caller's hash. Every method is
 * one decision (one round trip for a shared store) and may throw when the store cannot answer.
 */
interface LimitStore {

  /** Outcome of one bucket decision: whether it passed, what is left, and how long until it would. */
  record Probe(boolean passed, long remaining, long nanosToWait) {}

  /** Takes one request from the caller's request bucket. */
  Probe takeRequest(String caller);

  /** Whether the caller's token bucket has any token left (nothing is taken). */
  Probe checkTokens(String caller);

  /** Takes {@code tokens} from the caller's token bucket, going below zero if need be. */
  void chargeTokens(String caller, long tokens);

  /** Takes an in-flight permit if fewer than {@code max} are held. */
  boolean acquireStream(String caller, int max);

  /** Returns an in-flight permit taken by {@link #acquireStream}. */
  void releaseStream(String caller);

  /** Checks that the store answers (one round trip for a shared store); throws when it cannot. */
  default void ping() {}
}
