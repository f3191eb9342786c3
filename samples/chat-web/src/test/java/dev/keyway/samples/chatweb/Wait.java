package dev.keyway.samples.chatweb;

import java.time.Duration;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;

/** What a test does instead of sleeping: waits for a condition, polling, and fails at a deadline. */
final class Wait {
  private static final long POLL_NANOS = Duration.ofMillis(10).toNanos();

  private Wait() {}

  /** Returns once {@code condition} holds; throws an {@link AssertionError} naming {@code what} after {@code timeout}. */
  static void until(String what, Duration timeout, BooleanSupplier condition) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() - deadline > 0) {
        throw new AssertionError("not within " + timeout.toMillis() + " ms: " + what);
      }
      LockSupport.parkNanos(POLL_NANOS);
    }
  }
}
