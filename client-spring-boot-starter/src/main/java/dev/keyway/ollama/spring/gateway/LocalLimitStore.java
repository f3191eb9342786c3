package dev.keyway.ollama.spring.gateway;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.github.bucket4j.Bucket;
import io.github.bucket4j.BucketConfiguration;
import io.github.bucket4j.ConsumptionProbe;
import io.github.bucket4j.EstimationProbe;
import java.time.Duration;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * This instance's own buckets. A bucket idle for its whole refill period is full again, so it is
 * dropped then (Caffeine's expire-after-access): memory grows with the callers active within one
 * period, not with every caller ever seen. In-flight permits live only while they are held.
 */
final class LocalLimitStore implements LimitStore {
  private final Cache<String, Bucket> requests;
  private final Cache<String, Bucket> tokens;
  private final BucketConfiguration requestConfig;
  private final BucketConfiguration tokenConfig;
  private final ConcurrentHashMap<String, Set<String>> streams = new ConcurrentHashMap<>();

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
  public Hold holdTokens(String caller, long want) {
    Bucket bucket = tokenBucket(caller);
    long held = bucket.tryConsumeAsMuchAsPossible(want);
    if (held > 0) {
      return new Hold(held, bucket.getAvailableTokens(), 0);
    }
    EstimationProbe probe = bucket.estimateAbilityToConsume(1);
    return new Hold(0, probe.getRemainingTokens(), probe.getNanosToWaitForRefill());
  }

  @Override
  public void settleTokens(String caller, long held, long used) {
    Bucket bucket = tokenBucket(caller);
    if (used > held) {
      bucket.consumeIgnoringRateLimits(used - held);
    } else if (held > used) {
      bucket.addTokens(held - used);
    }
  }

  private Bucket tokenBucket(String caller) {
    return tokens.get(caller, k -> Bucket.builder().addLimit(tokenConfig.getBandwidths()[0]).build());
  }

  @Override
  public boolean acquireStream(String counter, String permit, int max) {
    boolean[] taken = {false};
    streams.compute(counter, (k, held) -> {
      Set<String> permits = held == null ? new HashSet<>() : held;
      if (permits.size() < max) {
        taken[0] = permits.add(permit);
      }
      return permits.isEmpty() ? null : permits;
    });
    return taken[0];
  }

  @Override
  public void releaseStream(String counter, String permit) {
    streams.computeIfPresent(counter, (k, held) -> held.remove(permit) && held.isEmpty() ? null : held);
  }

  @Override
  public Usage usage(String caller) {
    Bucket request = requests.getIfPresent(caller);
    Bucket token = tokens.getIfPresent(caller);
    int[] streamCount = {0};
    // Read under the map's lock, like every change to the set.
    streams.computeIfPresent(caller, (k, held) -> {
      streamCount[0] = held.size();
      return held;
    });
    return new Usage(request == null ? requestConfig.getBandwidths()[0].getCapacity() : request.getAvailableTokens(),
        token == null ? tokenConfig.getBandwidths()[0].getCapacity() : token.getAvailableTokens(), streamCount[0]);
  }

  /** Buckets held right now, after dropping the expired ones (for tests). */
  long bucketsHeld() {
    requests.cleanUp();
    tokens.cleanUp();
    return requests.estimatedSize() + tokens.estimatedSize();
  }

  /** Counters with a permit held right now (for tests). */
  int callersInFlight() {
    return streams.size();
  }
}
