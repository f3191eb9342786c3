package dev.keyway.ollama.spring.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import io.lettuce.core.ClientOptions;
import io.lettuce.core.event.connection.ConnectedEvent;
import io.lettuce.core.event.connection.DisconnectedEvent;
import io.lettuce.core.resource.ClientResources;
import io.micrometer.core.instrument.MeterRegistry;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.data.redis.connection.RedisConnectionFactory;
import org.springframework.data.redis.connection.lettuce.LettuceConnectionFactory;

/**
 * Two gateway instances on one real Redis enforce one budget; a stopped Redis is answered by
 * policy, fast, and a restarted one is used again. One redis-server for the class, emptied before
 * each test.
 */
class LimitsRedisTest {
  static final RawUpstream UPSTREAM = new RawUpstream();
  static RedisServer server;

  @BeforeAll
  static void upstream() throws Exception {
    UPSTREAM.on("/api/chat", LimitsApps::unaryChat);
    server = RedisServer.start();
  }

  @BeforeEach
  void empty() {
    server.flush();
  }

  @AfterAll
  static void stop() throws Exception {
    UPSTREAM.close();
    server.close();
  }

  private static String[] redis(RedisServer redis, String... more) {
    List<String> all = new ArrayList<>(List.of("ollama.limits.store=redis", "spring.data.redis.host=127.0.0.1",
        "spring.data.redis.port=" + redis.port));
    all.addAll(List.of(more));
    return all.toArray(String[]::new);
  }

  @Test
  void twoInstancesOnOneRedisAdmitExactlyTheCapacityUnderARace() throws Exception {
    RedisServer redis = server;
    try (ConfigurableApplicationContext a = LimitsApps.start(UPSTREAM.baseUrl(),
        redis(redis, "ollama.limits.requests.capacity=10", "ollama.limits.requests.period=1h"));
        ConfigurableApplicationContext b = LimitsApps.start(UPSTREAM.baseUrl(),
            redis(redis, "ollama.limits.requests.capacity=10", "ollama.limits.requests.period=1h"))) {
      // Bucket4j's compare-and-swap retries under 30 contenders on one key: the default store-timeout
      // (1 s) covers them all; at 250 ms some of these decisions timed out and the circuit opened.
      ExecutorService pool = Executors.newFixedThreadPool(30);
      try {
        CountDownLatch go = new CountDownLatch(1);
        List<Future<HttpResponse<String>>> answers = new ArrayList<>();
        for (int i = 0; i < 30; i++) {
          ConfigurableApplicationContext target = i % 2 == 0 ? a : b;
          answers.add(pool.submit(() -> {
            go.await(20, TimeUnit.SECONDS);
            return LimitsApps.post(target, "/api/chat", LimitsApps.CHAT);
          }));
        }
        go.countDown();
        int admitted = 0;
        int refused = 0;
        for (Future<HttpResponse<String>> answer : answers) {
          HttpResponse<String> r = answer.get(30, TimeUnit.SECONDS);
          if (r.statusCode() == 200) {
            admitted++;
          } else {
            assertThat(r.statusCode()).as(r.body()).isEqualTo(429);
            assertThat(r.headers().firstValue("Retry-After").orElseThrow()).matches("[1-9][0-9]*");
            assertThat(r.headers().firstValue("RateLimit-Policy")).contains("\"requests\";q=10;w=3600");
            assertThat(r.headers().firstValue("RateLimit").orElseThrow()).startsWith("\"requests\";r=0;t=");
            assertThat(GatewayFixture.JSON.readTree(r.body()).get("error").asText()).startsWith("too many requests");
            refused++;
          }
        }
        assertThat(admitted).isEqualTo(10);
        assertThat(refused).isEqualTo(20);
      } finally {
        pool.shutdownNow();
      }
    }
  }

  @Test
  void aTokenChargeOnOneInstanceRefusesTheNextCallOnTheOther() throws Exception {
    RedisServer redis = server;
    try (ConfigurableApplicationContext a = LimitsApps.start(UPSTREAM.baseUrl(),
            redis(redis, "ollama.limits.tokens.capacity=5", "ollama.limits.tokens.period=1h"));
        ConfigurableApplicationContext b = LimitsApps.start(UPSTREAM.baseUrl(),
            redis(redis, "ollama.limits.tokens.capacity=5", "ollama.limits.tokens.period=1h"))) {
      assertThat(LimitsApps.post(a, "/api/chat", LimitsApps.CHAT).statusCode()).isEqualTo(200);
      HttpResponse<String> next = LimitsApps.post(b, "/api/chat", LimitsApps.CHAT);
      assertThat(next.statusCode()).as(next.body()).isEqualTo(429);
      assertThat(GatewayFixture.JSON.readTree(next.body()).get("error").asText()).startsWith("token quota used up");
    }
  }

  @Test
  void aCallerResetMidStreamGivesItsPermitBackInRedis() throws Exception {
    LimitsLocalTest.callerResetGivesThePermitBack(redis(server));
  }

  @Test
  void anUpstreamBreakMidStreamGivesThePermitBackInRedis() throws Exception {
    LimitsLocalTest.upstreamBreakGivesThePermitBack(redis(server));
  }

  /** {@code /actuator/health/ollamaLimits}: the HTTP status and the {@code store} detail. */
  private static String health(ConfigurableApplicationContext app) throws Exception {
    HttpResponse<String> r = LimitsApps.get(app, "/actuator/health/ollamaLimits");
    assertThat(r.body()).doesNotContain("kw-secret");
    return r.statusCode() + " " + GatewayFixture.JSON.readTree(r.body()).path("details").path("store").asText();
  }

  /** Which {@code ollama.limits.store.state} series reads 1. */
  private static String gauge(ConfigurableApplicationContext app) {
    MeterRegistry registry = app.getBean(MeterRegistry.class);
    return registry.find(OllamaLimitsAutoConfiguration.STATE_METRIC).gauges().stream()
        .filter(g -> g.value() == 1).map(g -> g.getId().getTag("state")).reduce((x, y) -> x + "," + y).orElse("none");
  }

  /** Asks {@code read} until it answers {@code expected} or 20 s have passed; returns the last answer. */
  private static String await(Callable<String> read, String expected) throws Exception {
    long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
    String last;
    do {
      last = read.call();
    } while (!last.equals(expected) && System.nanoTime() < deadline);
    return last;
  }

  @Test
  void healthAndTheGaugeShowTheStoreStateAsRedisStopsAndComesBack() throws Exception {
    RedisServer redis = server;
    String details = "management.endpoint.health.show-details=always";
    try (ConfigurableApplicationContext reject = LimitsApps.start(UPSTREAM.baseUrl(),
            redis(redis, "ollama.limits.requests.capacity=100", details));
        ConfigurableApplicationContext local = LimitsApps.start(UPSTREAM.baseUrl(),
            redis(redis, "ollama.limits.requests.capacity=100", "ollama.limits.store-failure=local", details));
        ConfigurableApplicationContext embedded = LimitsApps.start(UPSTREAM.baseUrl(),
            "ollama.limits.requests.capacity=100", details)) {
      assertThat(health(reject)).isEqualTo("200 shared");
      assertThat(health(local)).isEqualTo("200 shared");
      assertThat(health(embedded)).isEqualTo("200 local");
      assertThat(gauge(reject)).isEqualTo("shared");
      assertThat(gauge(embedded)).isEqualTo("local");

      redis.close();
      // Each check is one PING through the circuit: the first failure shows at once; a few open it.
      assertThat(await(() -> health(reject), "503 down")).isEqualTo("503 down");
      assertThat(await(() -> health(local), "200 local-fallback")).isEqualTo("200 local-fallback");
      assertThat(await(() -> {
        health(reject);
        return gauge(reject);
      }, "down")).isEqualTo("down");
      assertThat(await(() -> {
        health(local);
        return gauge(local);
      }, "local-fallback")).isEqualTo("local-fallback");
      assertThat(health(embedded)).isEqualTo("200 local");

      server = RedisServer.start(redis.port);
      // The circuit lets a check through as its probe 2 s after it opened, once Lettuce has reconnected.
      assertThat(await(() -> health(reject), "200 shared")).isEqualTo("200 shared");
      assertThat(await(() -> health(local), "200 shared")).isEqualTo("200 shared");
      assertThat(gauge(reject)).isEqualTo("shared");
      assertThat(gauge(local)).isEqualTo("shared");
      assertThat(LimitsApps.post(reject, "/api/chat", LimitsApps.CHAT).statusCode()).isEqualTo(200);
    }
  }

  @Test
  void redisStoppedMidRunIsAnsweredWithinTheTimeoutByPolicyAndARestartedOneIsSharedAgain() throws Exception {
    RedisServer redis = server;
    try (ConfigurableApplicationContext reject = LimitsApps.start(UPSTREAM.baseUrl(),
            redis(redis, "ollama.limits.requests.capacity=100", "ollama.limits.concurrent-streams=5"));
        ConfigurableApplicationContext local = LimitsApps.start(UPSTREAM.baseUrl(),
            redis(redis, "ollama.limits.requests.capacity=100", "ollama.limits.concurrent-streams=5",
                "ollama.limits.store-failure=local"))) {
      assertThat(LimitsApps.post(reject, "/api/chat", LimitsApps.CHAT).statusCode()).isEqualTo(200);
      assertThat(LimitsApps.post(local, "/api/chat", LimitsApps.CHAT).statusCode()).isEqualTo(200);
      redis.close();
      long slowest = 0;
      for (int i = 0; i < 8; i++) {
        long start = System.nanoTime();
        HttpResponse<String> refused = LimitsApps.post(reject, "/api/chat", LimitsApps.CHAT);
        long tookReject = System.nanoTime() - start;
        assertThat(refused.statusCode()).as(refused.body()).isEqualTo(503);
        assertThat(GatewayFixture.JSON.readTree(refused.body()).get("error").asText()).contains("unavailable");
        start = System.nanoTime();
        HttpResponse<String> served = LimitsApps.post(local, "/api/chat", LimitsApps.CHAT);
        long tookLocal = System.nanoTime() - start;
        assertThat(served.statusCode()).as(served.body()).isEqualTo(200);
        slowest = Math.max(slowest, Math.max(tookReject, tookLocal));
      }
      // store-timeout is 1 s by default: a call or two may wait that long before the circuit opens.
      assertThat(TimeUnit.NANOSECONDS.toMillis(slowest)).isLessThan(2000);
      System.out.println("limits: slowest answer with Redis stopped: " + TimeUnit.NANOSECONDS.toMillis(slowest) + " ms");

      // Redis back on its port: the circuit half-opens, probes, and the shared store decides again
      // (the reject instance has no store of its own, so a 200 there is the shared store's answer).
      server = RedisServer.start(redis.port);
      long restarted = System.nanoTime();
      long deadline = restarted + Duration.ofSeconds(20).toNanos();
      int status;
      do {
        status = LimitsApps.post(reject, "/api/chat", LimitsApps.CHAT).statusCode();
      } while (status == 503 && System.nanoTime() < deadline);
      assertThat(status).as("shared again within 20 s of the restart").isEqualTo(200);
      System.out.println("limits: shared store used again " + TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - restarted)
          + " ms after Redis restarted");
    }
  }
  /** Counts Lettuce's TCP connects and disconnects to {@code port} on the application's event bus. */
  private static final class RedisLinks {
    final AtomicInteger connected = new AtomicInteger();
    final AtomicInteger disconnected = new AtomicInteger();

    RedisLinks(ConfigurableApplicationContext app, int port) {
      app.getBean(ClientResources.class).eventBus().get().subscribe(event -> {
        if (event instanceof ConnectedEvent c && port(c.remoteAddress()) == port) {
          connected.incrementAndGet();
        } else if (event instanceof DisconnectedEvent d && port(d.remoteAddress()) == port) {
          disconnected.incrementAndGet();
        }
      });
    }

    private static int port(SocketAddress address) {
      return address instanceof InetSocketAddress inet ? inet.getPort() : -1;
    }

    /** Every connection made to the port has been seen to drop. */
    boolean allDropped() {
      return connected.get() > 0 && disconnected.get() >= connected.get();
    }
  }

  @Test
  void aStoppedRedisIsAnsweredAtOnceNotAfterTheStoreTimeoutAndARestartedOneIsSharedAgain() throws Exception {
    RedisServer redis = server;
    // A store-timeout far above anything this test waits for: a decision queued while Lettuce is
    // disconnected would take all of it; one refused by the store's connection takes none of it.
    Duration storeTimeout = Duration.ofSeconds(10);
    String timeout = "ollama.limits.store-timeout=" + storeTimeout.toSeconds() + "s";
    try (ConfigurableApplicationContext reject = LimitsApps.start(UPSTREAM.baseUrl(),
            redis(redis, "ollama.limits.requests.capacity=100", "ollama.limits.concurrent-streams=5", timeout));
        ConfigurableApplicationContext local = LimitsApps.start(UPSTREAM.baseUrl(),
            redis(redis, "ollama.limits.requests.capacity=100", "ollama.limits.concurrent-streams=5", timeout,
                "ollama.limits.store-failure=local"))) {
      RedisLinks rejectLinks = new RedisLinks(reject, redis.port);
      RedisLinks localLinks = new RedisLinks(local, redis.port);
      assertThat(LimitsApps.post(reject, "/api/chat", LimitsApps.CHAT).statusCode()).isEqualTo(200);
      assertThat(LimitsApps.post(local, "/api/chat", LimitsApps.CHAT).statusCode()).isEqualTo(200);
      // The store's client is its own: Spring Boot's client keeps its queueing behaviour.
      for (ConfigurableApplicationContext app : List.of(reject, local)) {
        LettuceConnectionFactory boot = (LettuceConnectionFactory) app.getBean(RedisConnectionFactory.class);
        assertThat(boot.getRequiredNativeClient().getOptions().getDisconnectedBehavior())
            .isNotEqualTo(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS);
      }

      redis.close();
      Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> rejectLinks.allDropped() && localLinks.allDropped());
      Duration slowest = Duration.ZERO;
      for (int i = 0; i < 8; i++) {
        long start = System.nanoTime();
        HttpResponse<String> refused = LimitsApps.post(reject, "/api/chat", LimitsApps.CHAT);
        Duration tookReject = Duration.ofNanos(System.nanoTime() - start);
        assertThat(refused.statusCode()).as(refused.body()).isEqualTo(503);
        assertThat(GatewayFixture.JSON.readTree(refused.body()).get("error").asText()).contains("unavailable");
        start = System.nanoTime();
        HttpResponse<String> served = LimitsApps.post(local, "/api/chat", LimitsApps.CHAT);
        Duration tookLocal = Duration.ofNanos(System.nanoTime() - start);
        assertThat(served.statusCode()).as(served.body()).isEqualTo(200);
        // Behavioural, not a performance figure: half the store-timeout is room for any machine,
        // and a queued decision cannot finish before the whole store-timeout has passed.
        assertThat(tookReject).as("call %d, reject policy", i).isLessThan(storeTimeout.dividedBy(2));
        assertThat(tookLocal).as("call %d, local policy", i).isLessThan(storeTimeout.dividedBy(2));
        slowest = slowest.compareTo(tookReject) > 0 ? slowest : tookReject;
        slowest = slowest.compareTo(tookLocal) > 0 ? slowest : tookLocal;
      }
      System.out.println("limits: slowest answer with Redis stopped, store-timeout 10 s: " + slowest.toMillis() + " ms");

      server = RedisServer.start(redis.port);
      // Auto-reconnect is kept: after the circuit's 2 s open interval the probe finds Redis again.
      Awaitility.await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(100))
          .until(() -> LimitsApps.post(reject, "/api/chat", LimitsApps.CHAT).statusCode() == 200);
      Awaitility.await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(100))
          .until(() -> LimitsApps.post(local, "/api/chat", LimitsApps.CHAT).statusCode() == 200 && "shared".equals(gauge(local)));
    }
  }
}
