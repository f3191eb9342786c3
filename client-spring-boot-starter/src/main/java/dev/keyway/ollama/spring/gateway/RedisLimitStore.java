package dev.keyway.ollama.spring.gateway;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.github.bucket4j.BucketConfiguration;
import io.github.bucket4j.ConsumptionProbe;
import io.github.bucket4j.EstimationProbe;
import io.github.bucket4j.VerboseResult;
import io.github.bucket4j.distributed.BucketProxy;
import io.github.bucket4j.distributed.ExpirationAfterWriteStrategy;
import io.github.bucket4j.distributed.proxy.ProxyManager;
import io.github.bucket4j.distributed.proxy.optimization.Optimizations;
import io.github.bucket4j.redis.lettuce.Bucket4jLettuce;
import io.lettuce.core.AbstractRedisClient;
import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisCredentialsProvider;
import io.lettuce.core.RedisURI;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.codec.ByteArrayCodec;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.jspecify.annotations.Nullable;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.data.redis.connection.RedisConnectionFactory;
import org.springframework.data.redis.connection.RedisStandaloneConfiguration;
import org.springframework.data.redis.connection.lettuce.LettuceClientConfiguration;
import org.springframework.data.redis.connection.lettuce.LettuceConnectionFactory;

/**
 * Buckets and in-flight counters in the Redis that Spring Boot's auto-configuration connects to
 * ({@code spring.data.redis.*}), through one dedicated Lettuce connection whose command timeout is
 * the store timeout and which refuses commands at once while Redis is unreachable. Bucket
 * decisions are Bucket4j's compare-and-swap; the in-flight permits are one Lua script per acquire
 * or release, each permit with its own expiry so
 * that permits of a crashed instance expire.
 */
final class RedisLimitStore implements LimitStore, AutoCloseable {
  /**
   * A sorted set of permits scored by their expiry (Redis server time): expired ones are dropped,
   * then the permit is added if fewer than ARGV[1] remain. KEYS[1] counter, ARGV[2] TTL in ms,
   * ARGV[3] permit id. Each permit expires on its own, so a crashed instance's permits go even
   * while other instances keep acquiring.
   */
  private static final byte[] ACQUIRE = ("local t = redis.call('TIME')\n"
      + "local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)\n"
      + "redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)\n"
      + "if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[1]) then return 0 end\n"
      + "redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[3])\n"
      + "redis.call('PEXPIRE', KEYS[1], ARGV[2]) return 1").getBytes(StandardCharsets.UTF_8);
  /** Removes permit ARGV[1] (Redis deletes the set with its last member). */
  private static final byte[] RELEASE = "return redis.call('ZREM', KEYS[1], ARGV[1])".getBytes(StandardCharsets.UTF_8);
  /** Permits not yet expired. */
  private static final byte[] HELD = ("local t = redis.call('TIME')\n"
      + "local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)\n"
      + "return redis.call('ZCOUNT', KEYS[1], '(' .. now, '+inf')").getBytes(StandardCharsets.UTF_8);
  private static final String PREFIX = "keyway:limits:";

  private final ObjectProvider<RedisConnectionFactory> factory;
  private final Duration timeout;
  private final Duration permitTtl;
  private final BucketConfiguration requestConfig;
  private final BucketConfiguration tokenConfig;
  private final Object lock = new Object();
  private volatile @Nullable Connected connected;
  /**
   * One bucket proxy per store key, so that Bucket4j's batching can merge this instance's
   * concurrent decisions on one key into one compare-and-swap: without it, a burst from one caller
   * (200 streams opened at once) retries its swaps past the store timeout and opens the circuit for
   * everyone. Only a handle: the state stays in Redis, so dropping one loses nothing.
   */
  private final Cache<String, BucketProxy> proxies = Caffeine.newBuilder()
      .expireAfterAccess(Duration.ofMinutes(1)).maximumSize(100_000).build();

  private record Connected(RedisClient client, StatefulRedisConnection<byte[], byte[]> connection,
      ProxyManager<byte[]> buckets) {}

  RedisLimitStore(ObjectProvider<RedisConnectionFactory> factory, Duration timeout, Duration permitTtl,
      BucketConfiguration requestConfig, BucketConfiguration tokenConfig) {
    this.factory = factory;
    this.timeout = timeout;
    this.permitTtl = permitTtl;
    this.requestConfig = requestConfig;
    this.tokenConfig = tokenConfig;
  }

  /**
   * The connection, made on first use (and again after a failed first attempt). It comes from a
   * Lettuce client of the store's own, not Spring Boot's: Boot's client queues commands while it is
   * disconnected, so every decision would wait the whole store-timeout for a Redis that is gone.
   * This client rejects them at once ({@code DisconnectedBehavior.REJECT_COMMANDS}) and otherwise
   * runs with Boot's client options (socket and SSL options, auto-reconnect) on Boot's
   * {@code ClientResources} (event loops, DNS, event bus), so it costs no threads of its own and
   * Boot's client is left exactly as Boot made it. Standalone Redis only: the connection settings
   * are the factory's host, port, database, credentials, client name and SSL mode.
   */
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
        if (lettuce.isClusterAware() || lettuce.isRedisSentinelAware() || lettuce.getSocketConfiguration() != null) {
          throw new IllegalStateException("ollama.limits.store=redis supports a standalone Redis on host and port"
              + " (spring.data.redis.host/port or url), not Sentinel, a cluster or a Unix socket");
        }
        AbstractRedisClient boot = lettuce.getRequiredNativeClient();
        RedisClient client = RedisClient.create(boot.getResources(), uri(lettuce));
        client.setOptions(boot.getOptions().mutate()
            .disconnectedBehavior(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS)
            .build());
        StatefulRedisConnection<byte[], byte[]> connection;
        try {
          connection = client.connect(ByteArrayCodec.INSTANCE);
        } catch (RuntimeException failed) {
          client.shutdown(Duration.ZERO, timeout);
          throw failed;
        }
        connection.setTimeout(timeout);
        ProxyManager<byte[]> buckets = Bucket4jLettuce.casBasedBuilder(connection)
            .requestTimeout(timeout)
            .expirationAfterWrite(ExpirationAfterWriteStrategy.basedOnTimeForRefillingBucketUpToMax(Duration.ofSeconds(10)))
            .build();
        connected = new Connected(client, connection, buckets);
      }
      return java.util.Objects.requireNonNull(connected);
    }
  }

  /** What Spring Data Redis itself connects a standalone client to, with the store's timeout. */
  private RedisURI uri(LettuceConnectionFactory lettuce) {
    RedisStandaloneConfiguration standalone = lettuce.getStandaloneConfiguration();
    LettuceClientConfiguration settings = lettuce.getClientConfiguration();
    RedisURI.Builder uri = RedisURI.Builder.redis(standalone.getHostName(), standalone.getPort())
        .withDatabase(standalone.getDatabase())
        .withSsl(settings.isUseSsl())
        .withStartTls(settings.isStartTls())
        .withTimeout(timeout);
    if (settings.isUseSsl()) {
      uri.withVerifyPeer(settings.getVerifyMode());
    }
    settings.getClientName().ifPresent(uri::withClientName);
    RedisCredentialsProvider credentials = settings.getRedisCredentialsProviderFactory()
        .map(f -> f.createCredentialsProvider(standalone)).orElse(null);
    if (credentials != null) {
      uri.withAuthentication(credentials);
    } else {
      char[] password = standalone.getPassword().toOptional().orElse(null);
      if (password != null) {
        String username = standalone.getUsername();
        if (username != null) {
          uri.withAuthentication(username, password);
        } else {
          uri.withPassword(password);
        }
      }
    }
    return uri.build();
  }

  private static byte[] key(String kind, String caller) {
    return (PREFIX + kind + ":" + caller).getBytes(StandardCharsets.UTF_8);
  }

  private BucketProxy bucket(String kind, String caller, BucketConfiguration config) {
    ProxyManager<byte[]> buckets = connected().buckets();
    return proxies.get(kind + ":" + caller, k -> buckets.builder().withOptimization(Optimizations.batching())
        .build(key(kind, caller), () -> config));
  }

  @Override
  public Probe takeRequest(String caller) {
    ConsumptionProbe probe = bucket("requests", caller, requestConfig).tryConsumeAndReturnRemaining(1);
    return new Probe(probe.isConsumed(), probe.getRemainingTokens(), probe.getNanosToWaitForRefill());
  }

  private BucketProxy tokenBucket(String caller) {
    return bucket("tokens", caller, tokenConfig);
  }

  @Override
  public Hold holdTokens(String caller, long want) {
    BucketProxy bucket = tokenBucket(caller);
    // Bucket4j's verbose result carries what is left, in the same round trip.
    VerboseResult<Long> taken = bucket.asVerbose().tryConsumeAsMuchAsPossible(want);
    long held = taken.getValue();
    if (held > 0) {
      return new Hold(held, taken.getDiagnostics().getAvailableTokens(), 0);
    }
    EstimationProbe probe = bucket.estimateAbilityToConsume(1);
    return new Hold(0, probe.getRemainingTokens(), probe.getNanosToWaitForRefill());
  }

  @Override
  public void settleTokens(String caller, long held, long used) {
    if (used > held) {
      tokenBucket(caller).consumeIgnoringRateLimits(used - held);
    } else if (held > used) {
      tokenBucket(caller).addTokens(held - used);
    }
  }

  @Override
  public boolean acquireStream(String counter, String permit, int max) {
    Long taken = connected().connection().sync().eval(ACQUIRE, ScriptOutputType.INTEGER,
        new byte[][] {key("streams", counter)}, ascii(max), ascii(permitTtl.toMillis()),
        permit.getBytes(StandardCharsets.US_ASCII));
    return taken != null && taken == 1L;
  }

  @Override
  public void releaseStream(String counter, String permit) {
    connected().connection().sync().eval(RELEASE, ScriptOutputType.INTEGER, new byte[][] {key("streams", counter)},
        permit.getBytes(StandardCharsets.US_ASCII));
  }

  @Override
  public Usage usage(String caller) {
    long requests = bucket("requests", caller, requestConfig).getAvailableTokens();
    long tokens = tokenBucket(caller).getAvailableTokens();
    Long streams = connected().connection().sync().eval(HELD, ScriptOutputType.INTEGER,
        new byte[][] {key("streams", caller)});
    return new Usage(requests, tokens, streams == null ? 0 : streams.intValue());
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
      // Boot's ClientResources are shared, so this ends only the client's own connection handling.
      current.client().shutdown(Duration.ZERO, timeout);
    }
  }
}
