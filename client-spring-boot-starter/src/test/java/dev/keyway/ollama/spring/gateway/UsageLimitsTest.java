package dev.keyway.ollama.spring.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.jspecify.annotations.Nullable;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * {@link OllamaUsageLimits} from code, on the local store and on a real Redis: token holds that
 * keep concurrent calls within the quota, settlement, the global in-flight cap, the usage query,
 * and per-permit expiry in Redis.
 */
class UsageLimitsTest {
  static final RawUpstream UPSTREAM = new RawUpstream();
  static RedisServer redis;

  @BeforeAll
  static void start() throws Exception {
    UPSTREAM.on("/api/chat", LimitsApps::unaryChat);
    redis = RedisServer.start();
  }

  @AfterAll
  static void stop() throws Exception {
    for (ConfigurableApplicationContext app : SHARED.values()) {
      app.close();
    }
    UPSTREAM.close();
    redis.close();
  }

  /**
   * One application per store for the tests below, each test with callers of its own: capacity 5
   * requests an hour, 100 tokens held 40 at a time, 5 in flight per caller, 3 in flight in all.
   */
  private static final Map<String, ConfigurableApplicationContext> SHARED = new HashMap<>();

  private static OllamaUsageLimits limits(String store) {
    return shared(store).getBean(OllamaUsageLimits.class);
  }

  private static synchronized ConfigurableApplicationContext shared(String store) {
    return SHARED.computeIfAbsent(store, s -> app(s, "ollama.limits.requests.capacity=5",
        "ollama.limits.requests.period=1h", "ollama.limits.tokens.capacity=100", "ollama.limits.tokens.reserve=40",
        "ollama.limits.concurrent-streams=5", "ollama.limits.global-concurrent-streams=3"));
  }

  static Stream<String> stores() {
    return Stream.of("local", "redis");
  }

  private static ConfigurableApplicationContext app(String store, String... more) {
    redis.flush();
    List<String> all = new ArrayList<>(List.of("ollama.limits.store=" + store, "spring.data.redis.host=127.0.0.1",
        "spring.data.redis.port=" + redis.port));
    all.addAll(List.of(more));
    return LimitsApps.start(UPSTREAM.baseUrl(), all.toArray(String[]::new));
  }

  @ParameterizedTest
  @MethodSource("stores")
  void tokenHoldsKeepCallsInFlightWithinTheQuotaAndSettleToWhatWasUsed(String store) {
    OllamaUsageLimits limits = limits(store);
    {
      // Three calls hold 40 + 40 + 20: the quota is covered, so a fourth in flight is refused
      // although no call has been charged yet.
      UsagePermit first = limits.acquire("alice");
      UsagePermit second = limits.acquire("alice");
      UsagePermit third = limits.acquire("alice");
      assertThatThrownBy(() -> limits.acquire("alice"))
          .isInstanceOfSatisfying(UsageLimitException.class, refused -> {
            assertThat(refused.reason()).isEqualTo(UsageLimitException.Reason.TOKENS);
            assertThat(refused.status()).isEqualTo(429);
            assertThat(refused.retryAfter()).isGreaterThanOrEqualTo(Duration.ofSeconds(1));
            assertThat(refused.getMessage()).doesNotContain("alice");
          });
      assertThat(limits.usage("alice").tokensRemaining()).isZero();
      assertThat(limits.usage("bob").tokensRemaining()).isEqualTo(100);
      for (UsagePermit permit : List.of(first, second, third)) {
        permit.charge(7);
        permit.close();
        permit.close(); // once only
      }
      assertThat(limits.usage("alice").tokensRemaining()).isEqualTo(100 - 3 * 7);
      limits.acquire("alice").close(); // nothing used: the hold goes back whole
      assertThat(limits.usage("alice").tokensRemaining()).isEqualTo(100 - 3 * 7);
    }
  }

  @ParameterizedTest
  @MethodSource("stores")
  void aCallThatUsesMoreThanItsHoldIsChargedTheRestAndTheNextIsRefused(String store) {
    OllamaUsageLimits limits = limits(store);
    {
      try (UsagePermit permit = limits.acquire("carol")) {
        permit.charge(130);
      }
      assertThat(limits.usage("carol").tokensRemaining()).isEqualTo(-30);
      assertThatThrownBy(() -> limits.acquire("carol")).isInstanceOfSatisfying(UsageLimitException.class,
          refused -> assertThat(refused.reason()).isEqualTo(UsageLimitException.Reason.TOKENS));
    }
  }

  @ParameterizedTest
  @MethodSource("stores")
  void theGlobalCapRefusesEveryCallerWith503UntilAPermitIsClosed(String store) throws Exception {
    ConfigurableApplicationContext app = shared(store);
    OllamaUsageLimits limits = limits(store);
    {
      UsagePermit a = limits.acquire("a");
      UsagePermit b = limits.acquire("b");
      UsagePermit b2 = limits.acquire("b");
      assertThatThrownBy(() -> limits.acquire("c")).isInstanceOfSatisfying(UsageLimitException.class, refused -> {
        assertThat(refused.reason()).isEqualTo(UsageLimitException.Reason.GLOBAL_CONCURRENT_STREAMS);
        assertThat(refused.status()).isEqualTo(503);
      });
      // The caller "c" was refused by the global cap: its own permit was given back.
      assertThat(limits.usage("c").streamsInFlight()).isZero();
      HttpResponse<String> busy = LimitsApps.post(app, "/api/chat", LimitsApps.CHAT);
      assertThat(busy.statusCode()).isEqualTo(503);
      assertThat(busy.headers().firstValue("Retry-After")).contains("1");
      JsonNode error = GatewayFixture.JSON.readTree(busy.body());
      assertThat(error.get("error").asText()).isNotBlank();
      a.close();
      assertThat(LimitsApps.post(app, "/api/chat", LimitsApps.CHAT).statusCode()).isEqualTo(200);
      limits.acquire("c").close();
      b.close();
      b2.close();
    }
  }

  @ParameterizedTest
  @MethodSource("stores")
  void usageShowsWhatACallerHasLeftAndHoldsWithoutTakingAnything(String store) {
    OllamaUsageLimits limits = limits(store);
    {
      UsagePermit one = limits.acquire("dave");
      UsagePermit two = limits.acquire("dave");
      assertThat(limits.usage("dave")).isEqualTo(new CallerUsage(3L, 20L, 2));
      assertThat(limits.usage("dave")).as("reading takes nothing").isEqualTo(new CallerUsage(3L, 20L, 2));
      assertThat(limits.usage("erin")).isEqualTo(new CallerUsage(5L, 100L, 0));
      one.charge(5);
      one.close();
      two.close();
      assertThat(limits.usage("dave")).isEqualTo(new CallerUsage(3L, 95L, 0));
    }
  }

  /**
   * Each permit expires on its own: a permit an instance never gave back (it crashed) is freed
   * after the TTL even while other calls keep acquiring and releasing on the same counter.
   */
  @Test
  void aPermitNeverGivenBackExpiresInRedisWhileOtherCallsKeepComing() {
    try (ConfigurableApplicationContext app = app("redis", "ollama.limits.concurrent-streams=2",
        "ollama.limits.stream-permit-ttl=1s")) {
      OllamaUsageLimits limits = app.getBean(OllamaUsageLimits.class);
      limits.acquire("frank"); // never closed: its instance "crashed"
      Awaitility.await().atMost(Duration.ofSeconds(15)).pollInterval(Duration.ofMillis(100)).until(() -> {
        try (UsagePermit busy = limits.acquire("frank")) {
          try (UsagePermit second = limits.acquire("frank")) {
            return true;
          } catch (UsageLimitException stillHeld) {
            return false;
          }
        }
      });
    }
  }

  /**
   * 200 calls of one caller at once on one instance, as when a page opens many streams: every one
   * is decided by Redis (none gets store-unavailable), and exactly the capacity is admitted. Without
   * batching, their compare-and-swaps on the one key retried past the store timeout and opened the
   * circuit for every caller (found by the gateway-hop benchmark with Redis limits on).
   */
  @Test
  void aBurstOfOneCallerOnRedisIsDecidedExactlyWithoutStoreFailures() throws Exception {
    try (ConfigurableApplicationContext app = app("redis", "ollama.limits.requests.capacity=150",
        "ollama.limits.requests.period=1h")) {
      OllamaUsageLimits limits = app.getBean(OllamaUsageLimits.class);
      ExecutorService pool = Executors.newFixedThreadPool(200);
      try {
        CountDownLatch go = new CountDownLatch(1);
        List<Future<UsageLimitException.@Nullable Reason>> calls = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
          calls.add(pool.submit(() -> {
            assertThat(go.await(20, TimeUnit.SECONDS)).isTrue();
            try (UsagePermit permit = limits.acquire("burst")) {
              return null;
            } catch (UsageLimitException refused) {
              return refused.reason();
            }
          }));
        }
        go.countDown();
        Map<String, Integer> outcomes = new HashMap<>();
        for (Future<UsageLimitException.@Nullable Reason> call : calls) {
          UsageLimitException.Reason reason = call.get(30, TimeUnit.SECONDS);
          outcomes.merge(reason == null ? "admitted" : reason.tag(), 1, Integer::sum);
        }
        assertThat(outcomes).isEqualTo(Map.of("admitted", 150, "requests", 50));
      } finally {
        pool.shutdownNow();
      }
    }
  }

  @Test
  void aCapacityOfZeroFailsAtStartupNamingTheProperty() {
    assertThatThrownBy(() -> app("local", "ollama.limits.requests.capacity=0").close())
        .rootCause().isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("ollama.limits.requests.capacity");
  }
}
