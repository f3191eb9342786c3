package dev.keyway.ollama.spring.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.bucket4j.BucketConfiguration;
import java.lang.management.ManagementFactory;
import java.lang.ref.WeakReference;
import java.time.Duration;
import java.util.HexFormat;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

/**
 * A million distinct callers through the local store leave its memory where it started: buckets
 * of callers idle for a period are dropped (none is held once the period has passed), and the heap
 * retained after a full GC stays under a bound far below what the million buckets take.
 */
class LocalLimitStoreMemoryTest {
  private static final int CALLERS = 1_000_000;
  /** Short, so that buckets expire during the run; Caffeine drops them at its next maintenance. */
  private static final Duration PERIOD = Duration.ofMillis(200);
  /**
   * What may stay: the caches' hash tables keep the size of their peak (about 8 MB each for a
   * million callers at once) after the entries are gone; the buckets themselves must not.
   */
  private static final long BOUND = 48L << 20;
  private static final HexFormat HEX = HexFormat.of();

  private static BucketConfiguration bucket(long capacity) {
    return BucketConfiguration.builder().addLimit(l -> l.capacity(capacity).refillGreedy(capacity, PERIOD)).build();
  }

  /** A caller's store key as GatewayLimits makes it: 128 bits of hash, in hex. */
  private static String caller(long i) {
    return HEX.toHexDigits(i * 0x9E3779B97F4A7C15L) + HEX.toHexDigits(i);
  }

  /** Heap in use after a full GC that is known to have run (a weakly held object was cleared). */
  private static long retainedHeap() {
    WeakReference<Object> sentinel = new WeakReference<>(new Object());
    Awaitility.await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(10)).until(() -> {
      System.gc();
      return sentinel.get() == null;
    });
    return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
  }

  @Test
  void aMillionDistinctCallersLeaveTheHeapWhereItWasOnceTheirPeriodHasPassed() {
    LocalLimitStore store = new LocalLimitStore(bucket(10), PERIOD, bucket(1_000), PERIOD);
    long before = retainedHeap();
    int passed = 0;
    for (long i = 0; i < CALLERS; i++) {
      String caller = caller(i);
      if (store.takeRequest(caller).passed() && store.holdTokens(caller, 1).held() == 1) {
        passed++;
      }
    }
    assertThat(passed).as("every new caller has a full bucket").isEqualTo(CALLERS);
    assertThat(store.bucketsHeld()).as("buckets held right after the run").isPositive();
    // Once the period has passed every bucket is full again and is dropped.
    Awaitility.await().atMost(Duration.ofSeconds(15)).pollInterval(Duration.ofMillis(100))
        .until(() -> store.bucketsHeld() == 0);
    long growth = retainedHeap() - before;
    System.out.printf("limits: local store after %,d distinct callers: retained growth %.1f MB%n", CALLERS, growth / 1e6);
    // The buckets are gone; what may stay is the caches' hash tables at their peak size. A store
    // that kept the million callers' buckets would retain several hundred MB.
    assertThat(growth).as("bytes retained after %,d callers", CALLERS).isLessThan(BOUND);
  }
}
