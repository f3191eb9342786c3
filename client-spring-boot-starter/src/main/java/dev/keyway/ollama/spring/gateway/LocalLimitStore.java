package dev.keyway.ollama.spring.gateway;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.github.bucket4j.Bucket;
import io.github.bucket4j.BucketConfiguration;
import io.github.bucket4j.ConsumptionProbe;
import io.github.bucket4j.EstimationProbe;
import java.time.Duration;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * This instance's own buckets. A bucket idle for its whole refill period is full again, so it is
 * dropped then (Caffeine's expire-after-access): memory grows with the callers active within one
 * period, not with every caller ever seen. In-flight counters live only while a permit is held.
 */
final class LocalLimitStore implements LimitStore {
  private final Cache<String, Bucket> requests;
  private final Cache<String, Bucket> tokens;
  private final BucketConfiguration requestConfig;
  private final BucketConfiguration tokenConfig;
  private final ConcurrentHashMap<String, AtomicInteger> streams = new ConcurrentHashMap<>();

  LocalLimitStore(BucketConfiguration requestConfig, Duration requestPeriod,
      BucketConfiguration tokenConfig, Duration tokenPeriod) {
    this.requestConfig = requestConfig;
    this.tokenConfig = tokenConfig;
    this.requests = Caffeine.newBuilder().expireAfterAccess(requestPeriod).build();
    this.tokens = Caffeine.newBuilder().expireAfterAccess(tokenPeriod).build();
  }

  @Override
  public Probe takeRequest(String caller) {
    ConsumptionProbe probe = requests.get(caller, k -> Bucket.builder().addLimit(requestConfig.getBandwidths()[0]).build())
        .tryConsumeAndReturnRemaining(1);
    return new Probe(probe.isConsumed(), probe.getRemainingTokens(), probe.getNanosToWaitForRefill());
  }

  @Override
  public Probe checkTokens(String caller) {
    EstimationProbe probe = tokenBucket(caller).estimateAbilityToConsume(1);
    return new Probe(probe.canBeConsumed(), probe.getRemainingTokens(), probe.getNanosToWaitForRefill());
  }

  @Override
  public void chargeTokens(String caller, long count) {
    tokenBucket(caller).consumeIgnoringRateLimits(count);
  }

  private Bucket tokenBucket(String caller) {
    return tokens.get(caller, k -> Bucket.builder().addLimit(tokenConfig.getBandwidths()[0]).build());
  }

  @Override
  public boolean acquireStream(String caller, int max) {
    boolean[] taken = {false};
    streams.compute(caller, (k, held) -> {
      AtomicInteger count = held == null ? new AtomicInteger() : held;
      if (count.get() < max) {
        count.incrementAndGet();
        taken[0] = true;
      }
      return count.get() == 0 ? null : count;
    });
    return taken[0];
  }

  @Override
  public void releaseStream(String caller) {
    streams.computeIfPresent(caller, (k, held) -> held.decrementAndGet() <= 0 ? null : held);
  }

  /** Callers with a permit held right now (for tests). */
  int callersInFlight() {
    return streams.size();
  }
}
