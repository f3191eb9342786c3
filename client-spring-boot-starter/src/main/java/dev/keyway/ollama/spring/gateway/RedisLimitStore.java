package dev.keyway.ollama.spring.gateway;

import io.github.bucket4j.BucketConfiguration;
import io.github.bucket4j.ConsumptionProbe;
import io.github.bucket4j.EstimationProbe;
import io.github.bucket4j.distributed.ExpirationAfterWriteStrategy;
import io.github.bucket4j.distributed.proxy.ProxyManager;
import io.github.bucket4j.redis.lettuce.Bucket4jLettuce;
import io.lettuce.core.AbstractRedisClient;
import io.lettuce.core.RedisClient;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.codec.ByteArrayCodec;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.jspecify.annotations.Nullable;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.data.redis.connection.RedisConnectionFactory;
import org.springframework.data.redis.connection.lettuce.LettuceConnectionFactory;

/**
 * Buckets and in-flight counters in the Redis that Spring Boot's auto-configuration connects to
 * ({@code spring.data.redis.*}), through one dedicated Lettuce connection of that client whose
 * command timeout is the store timeout. Bucket decisions are Bucket4j's compare-and-swap; the
 * in-flight counter is one Lua script per acquire or release, with a TTL refreshed on acquire so
 * that permits of a crashed instance expire.
 */
final class RedisLimitStore implements LimitStore, AutoCloseable {
  private static final byte[] ACQUIRE = ("local n = redis.call('INCR', KEYS[1])\n"
      + "if n > tonumber(ARGV[1]) then redis.call('DECR', KEYS[1]) return 0 end\n"
      + "redis.call('PEXPIRE', KEYS[1], ARGV[2]) return 1").getBytes(StandardCharsets.UTF_8);
  private static final byte[] RELEASE = ("local n = redis.call('DECR', KEYS[1])\n"
      + "if n <= 0 then redis.call('DEL', KEYS[1]) end return n").getBytes(StandardCharsets.UTF_8);
  private static final String PREFIX = "keyway:limits:";

  private final ObjectProvider<RedisConnectionFactory> factory;
  private final Duration timeout;
  private final Duration permitTtl;
  private final BucketConfiguration requestConfig;
  private final BucketConfiguration tokenConfig;
  private final Object lock = new Object();
  private volatile @Nullable Connected connected;

  private record Connected(StatefulRedisConnection<byte[], byte[]> connection, ProxyManager<byte[]> buckets) {}

  RedisLimitStore(ObjectProvider<RedisConnectionFactory> factory, Duration timeout, Duration permitTtl,
      BucketConfiguration requestConfig, BucketConfiguration tokenConfig) {
    this.factory = factory;
    this.timeout = timeout;
    this.permitTtl = permitTtl;
    this.requestConfig = requestConfig;
    this.tokenConfig = tokenConfig;
  }

  /** The connection, made on first use (and again after a failed first attempt). */
  private Connected connected() {
    Connected current = connected;
    if (current != null) {
      return current;
    }
    synchronized (lock) {
      if (connected == null) {
        RedisConnectionFactory redis = factory.getIfAvailable();
        if (!(redis instanceof LettuceConnectionFactory lettuce)) {
          throw new IllegalStateException("ollama.limits.store=redis needs Spring Boot's Lettuce Redis"
              + " connection (spring-boot-starter-data-redis)");
        }
        AbstractRedisClient client = lettuce.getRequiredNativeClient();
        if (!(client instanceof RedisClient standalone)) {
          throw new IllegalStateException("ollama.limits.store=redis supports a standalone or Sentinel Redis");
        }
        StatefulRedisConnection<byte[], byte[]> connection = standalone.connect(ByteArrayCodec.INSTANCE);
        connection.setTimeout(timeout);
        ProxyManager<byte[]> buckets = Bucket4jLettuce.casBasedBuilder(connection)
            .requestTimeout(timeout)
            .expirationAfterWrite(ExpirationAfterWriteStrategy.basedOnTimeForRefillingBucketUpToMax(Duration.ofSeconds(10)))
            .build();
        connected = new Connected(connection, buckets);
      }
      return java.util.Objects.requireNonNull(connected);
    }
  }

  private static byte[] key(String kind, String caller) {
    return (PREFIX + kind + ":" + caller).getBytes(StandardCharsets.UTF_8);
  }

  @Override
  public Probe takeRequest(String caller) {
    ConsumptionProbe probe = connected().buckets().builder().build(key("requests", caller), () -> requestConfig)
        .tryConsumeAndReturnRemaining(1);
    return new Probe(probe.isConsumed(), probe.getRemainingTokens(), probe.getNanosToWaitForRefill());
  }

  @Override
  public Probe checkTokens(String caller) {
    EstimationProbe probe = connected().buckets().builder().build(key("tokens", caller), () -> tokenConfig)
        .estimateAbilityToConsume(1);
    return new Probe(probe.canBeConsumed(), probe.getRemainingTokens(), probe.getNanosToWaitForRefill());
  }

  @Override
  public void chargeTokens(String caller, long count) {
    connected().buckets().builder().build(key("tokens", caller), () -> tokenConfig).consumeIgnoringRateLimits(count);
  }

  @Override
  public boolean acquireStream(String caller, int max) {
    Long taken = connected().connection().sync().eval(ACQUIRE, ScriptOutputType.INTEGER,
        new byte[][] {key("streams", caller)}, ascii(max), ascii(permitTtl.toMillis()));
    return taken != null && taken == 1L;
  }

  @Override
  public void releaseStream(String caller) {
    connected().connection().sync().eval(RELEASE, ScriptOutputType.INTEGER, new byte[][] {key("streams", caller)});
  }

  @Override
  public void ping() {
    connected().connection().sync().ping();
  }

  private static byte[] ascii(long value) {
    return Long.toString(value).getBytes(StandardCharsets.US_ASCII);
  }

  @Override
  public void close() {
    Connected current = connected;
    if (current != null) {
      current.connection().close();
    }
  }
}
