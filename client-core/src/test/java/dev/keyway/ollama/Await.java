package dev.keyway.ollama;

import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;

/**
 * Waits on a condition with a deadline, in place of sleeping: a wait returns the moment its
 * condition holds and fails with what it waited for once the deadline passes.
 */
final class Await {
  private static final long POLL_NANOS = TimeUnit.MILLISECONDS.toNanos(2);

  private Await() {}

  /** Returns as soon as {@code condition} holds; fails after {@code timeout}. */
  static void until(String what, Duration timeout, BooleanSupplier condition) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() - deadline > 0) {
        throw new AssertionError("waited " + timeout.toMillis() + " ms for " + what);
      }
      LockSupport.parkNanos(POLL_NANOS);
    }
  }

  /**
   * Checks that {@code condition} holds for the whole of {@code window}, failing the moment it does
   * not: the way to say "nothing more happens" (no signal after a cancel, no disconnect while the
   * caller is busy).
   */
  static void holdsFor(String what, Duration window, BooleanSupplier condition) {
    long end = System.nanoTime() + window.toNanos();
    do {
      if (!condition.getAsBoolean()) {
        throw new AssertionError("expected " + what + " for " + window.toMillis() + " ms, but it stopped");
      }
      LockSupport.parkNanos(POLL_NANOS);
    } while (System.nanoTime() - end < 0);
  }
}
