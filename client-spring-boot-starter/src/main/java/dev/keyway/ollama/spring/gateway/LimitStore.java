package dev.keyway.ollama.spring.gateway;

/**
 * Where a caller's buckets and in-flight permits live, keyed by the caller's hash. Every method is
 * one decision (one round trip for a shared store, two for a refused token hold) and may throw
 * when the store cannot answer.
 */
interface LimitStore {

  /** Outcome of one bucket decision: whether it passed, what is left, and how long until it would. */
  record Probe(boolean passed, long remaining, long nanosToWait) {}

  /**
   * Outcome of a token hold: how many tokens were taken for the call (0 when none was left), what
   * is left, and, when none was held, how long until one is back.
   */
  record Hold(long held, long remaining, long nanosToWait) {}

  /** What a caller has left right now; a limit that is not configured reads {@code -1}. */
  record Usage(long requests, long tokens, int streams) {}

  /** Takes one request from the caller's request bucket. */
  Probe takeRequest(String caller);

  /**
   * Takes up to {@code want} tokens from the caller's token bucket for a call about to start, as
   * many as are left (at least one, or none at all).
   */
  Hold holdTokens(String caller, long want);

  /**
   * Settles a call's token hold with what it used: takes {@code used - held} more (going below zero
   * if need be) or gives {@code held - used} back.
   */
  void settleTokens(String caller, long held, long used);

  /**
   * Takes the in-flight permit {@code permit} under {@code counter} if fewer than {@code max} are
   * held. A shared store forgets a permit after its TTL, so a crashed instance's permits expire.
   */
  boolean acquireStream(String counter, String permit, int max);

  /** Returns a permit taken by {@link #acquireStream}. */
  void releaseStream(String counter, String permit);

  /** What {@code caller} has left and holds; takes nothing. */
  Usage usage(String caller);

  /** Checks that the store answers (one round trip for a shared store); throws when it cannot. */
  default void ping() {}
}
