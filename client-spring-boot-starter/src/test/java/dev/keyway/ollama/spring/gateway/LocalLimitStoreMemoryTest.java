package dev.keyway.ollama.spring.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.bucket4j.Bucket;
import io.github.bucket4j.BucketConfiguration;
import java.lang.management.ManagementFactory;
import java.lang.ref.WeakReference;
import java.time.Duration;
import java.util.HexFormat;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

/**
 * A million distinct callers through the local store leave its memory where it started: buckets
 * of callers idle for a period are dropped. Measured as heap retained after a full GC, beside the
 * same callers kept in a plain map (what an unbounded store would keep).
 */
class LocalLimitStoreMemoryTest {
  private static final int CALLERS = 1_000_000;
  /** Short, so that buckets expire during the run; Caffeine drops them at its next maintenance. */
  private static final Duration PERIOD = Duration.ofMillis(200);
  private static final long BOUND = 16L << 20;
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
    // Caffeine expires lazily: any later call schedules the maintenance that drops expired buckets.
    AtomicLong after = new AtomicLong();
    AtomicLong poke = new AtomicLong(CALLERS);
    Awaitility.await().atMost(Duration.ofSeconds(15)).pollInterval(Duration.ofMillis(100)).untilAsserted(() -> {
      store.takeRequest(caller(poke.incrementAndGet()));
      after.set(retainedHeap());
      assertThat(after.get() - before).as("bytes retained after %,d callers", CALLERS).isLessThan(BOUND);
    });
    long growth = after.get() - before;

    // What the same callers cost when nothing is ever dropped, measured on a slice and scaled.
    int slice = CALLERS / 20;
    ConcurrentHashMap<String, Bucket[]> plain = new ConcurrentHashMap<>();
    long plainBefore = retainedHeap();
    for (long i = 0; i < slice; i++) {
      plain.put(caller(i), new Bucket[] {Bucket.builder().addLimit(bucket(10).getBandwidths()[0]).build(),
          Bucket.builder().addLimit(bucket(1_000).getBandwidths()[0]).build()});
    }
    long plainPerCaller = (retainedHeap() - plainBefore) / slice;
    assertThat(plain).hasSize(slice);
    System.out.printf("limits: local store after %,d distinct callers: retained growth %.1f MB;"
            + " a plain map would keep %d B per caller, %.0f MB for all of them%n", CALLERS, growth / 1e6,
        plainPerCaller, plainPerCaller * (double) CALLERS / 1e6);
    assertThat(plainPerCaller * (long) CALLERS).as("the bound tells the stores apart").isGreaterThan(10 * BOUND);
  }
}
