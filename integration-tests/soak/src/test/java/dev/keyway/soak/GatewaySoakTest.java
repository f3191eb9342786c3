package dev.keyway.soak;

import static org.assertj.core.api.Assertions.assertThat;

import dev.keyway.ollama.OllamaClient;
import dev.keyway.ollama.OllamaStream;
import dev.keyway.ollama.model.ChatRequest;
import dev.keyway.ollama.model.ChatResponse;
import dev.keyway.ollama.model.Message;
import dev.keyway.ollama.testkit.OllamaStandIn;
import dev.keyway.ollama.testkit.ScriptedModel;
import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.core.env.Environment;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * Many streaming chats through the gateway at once, against the stand-in behind the upstream key:
 * every completed stream delivers exactly the tokens sent, in order; every client that leaves
 * mid-stream cancels its upstream call; threads and heap come back to where they were. The same
 * load straight at the stand-in gives the baseline for the gateway's added per-token latency.
 * Sizes come from system properties (see the pom; -Psoak runs more rounds).
 */
@SpringBootTest(classes = GatewaySoakTest.App.class, webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
    properties = {"ollama.gateway.enabled=true", "ollama.api-key-header=X-API-Key", "ollama.retry.max-retries=0",
        // One request thread per open stream: room for every concurrent chat (see docs/soak.md).
        "server.tomcat.threads.max=256", "server.tomcat.accept-count=256"})
// -Psoak runs ten rounds and waits out the pools' 60 s idle time (about 4 minutes): longer than
// the build's 60 s default per test.
@Timeout(value = 20, unit = java.util.concurrent.TimeUnit.MINUTES)
class GatewaySoakTest {
  static final String KEY = "kw-secret-soak";
  static final int STREAMS = Integer.getInteger("soak.streams", 200);
  static final int TOKENS = Integer.getInteger("soak.tokens", 500);
  static final int ROUNDS = Integer.getInteger("soak.rounds", 1);
  static final Duration DELAY = Duration.ofMillis(Integer.getInteger("soak.token-delay-ms", 10));
  static final List<String> SCRIPT = script();
  static final OllamaStandIn OLLAMA = OllamaStandIn.builder().requireApiKey(KEY)
      .model(ScriptedModel.named("soak").tokens(SCRIPT.toArray(String[]::new)).tokenDelay(DELAY))
      .model(ScriptedModel.named("warm-up").tokens(SCRIPT.subList(0, 50).toArray(String[]::new)).tokenDelay(DELAY))
      .recordRequests(false)
      .build();

  @SpringBootConfiguration
  @EnableAutoConfiguration
  static class App {}

  @DynamicPropertySource
  static void upstream(DynamicPropertyRegistry registry) {
    registry.add("ollama.base-url", OLLAMA::baseUrl);
    registry.add("ollama.api-key", () -> KEY);
  }

  @AfterAll
  static void stop() {
    OLLAMA.close();
  }

  @Autowired Environment environment;

  /** What one client saw. */
  record Seen(List<String> tokens, List<Duration> latencies, boolean completed) {}

  @Test
  void manyStreamsThroughTheGatewayDeliverEveryTokenAndLeaveNothingBehind() throws Exception {
    String gateway = "http://127.0.0.1:" + environment.getProperty("local.server.port") + "/ollama";
    Footprint before = Footprint.now();
    // Both paths once at full width but short, so that the JIT and the pools are warm for both.
    try (OllamaClient direct = OllamaClient.builder().baseUrl(OLLAMA.baseUrl()).apiKey(KEY).build();
        OllamaClient viaGateway = OllamaClient.builder().baseUrl(gateway).build()) {
      run(direct, 0, "warm-up");
      run(viaGateway, 0, "warm-up");
    }

    for (int round = 1; round <= ROUNDS; round++) {
      List<Seen> direct;
      try (OllamaClient client = OllamaClient.builder().baseUrl(OLLAMA.baseUrl()).apiKey(KEY).build()) {
        direct = run(client, 0, "soak");
      }
      List<Seen> through;
      List<Seen> leaving;
      int disconnectsBefore = OLLAMA.disconnects();
      try (OllamaClient client = OllamaClient.builder().baseUrl(gateway).build()) {
        through = run(client, 0, "soak");
        leaving = run(client, STREAMS / 10, "soak");
      }
      assertEveryCompletedStreamIsExact(direct);
      assertEveryCompletedStreamIsExact(through);
      assertEveryCompletedStreamIsExact(leaving);
      long left = leaving.stream().filter(s -> !s.completed()).count();
      assertThat(left).isEqualTo(STREAMS / 10);
      assertThat(awaitDisconnects(disconnectsBefore + (int) left))
          .as("upstream calls cancelled, one per client that left").isEqualTo(disconnectsBefore + (int) left);

      Percentiles directLatency = Percentiles.of(direct);
      Percentiles gatewayLatency = Percentiles.of(through);
      System.out.printf(Locale.ROOT,
          "[soak] round %d: %d streams x %d tokens, %d ms apart. direct p50 %.2f ms p99 %.2f ms; through the"
              + " gateway p50 %.2f ms p99 %.2f ms; added p50 %.2f ms p99 %.2f ms; %d left mid-stream, %d upstream"
              + " calls cancelled%n",
          round, STREAMS, TOKENS, DELAY.toMillis(), directLatency.p50(), directLatency.p99(), gatewayLatency.p50(),
          gatewayLatency.p99(), gatewayLatency.p50() - directLatency.p50(), gatewayLatency.p99() - directLatency.p99(),
          left, OLLAMA.disconnects() - disconnectsBefore);
    }

    Footprint after = Footprint.settled(before);
    System.out.printf(Locale.ROOT, "[soak] before: %s; after: %s%n", before, after);
    assertThat(after.threadsOutsidePools()).as("threads outside the idle-reaped pools")
        .isLessThanOrEqualTo(before.threadsOutsidePools() + 5);
    assertThat(after.poolThreads()).as("Tomcat request threads").isLessThanOrEqualTo(256);
    assertThat(after.relayThreads()).as("Keyway's relay loops: a fixed set, one per processor and at least two")
        .isLessThanOrEqualTo(Math.max(2, Runtime.getRuntime().availableProcessors()));
    assertThat(after.heapUsedMiB()).as("heap after GC, MiB").isLessThan(before.heapUsedMiB() + 64);
    if (ROUNDS > 1) {
      // The long soak also waits out the pools' 60 s idle time: they drain back to their floor.
      Thread.sleep(Duration.ofSeconds(75).toMillis());
      Footprint drained = Footprint.now();
      System.out.printf(Locale.ROOT, "[soak] 75 s later: %s%n", drained);
      assertThat(drained.poolThreads()).isLessThanOrEqualTo(before.poolThreads() + 1);
      // The gateway's client keeps up to 32 idle keep-alive connections for 5 minutes (OkHttp's
      // pool, sized by Keyway), and the stand-in holds a thread for each of them.
      int keptAlive = 32;
      assertThat(drained.standInThreads()).isLessThanOrEqualTo(before.standInThreads() + keptAlive + 1);
      assertThat(drained.threads()).isLessThanOrEqualTo(before.threads() + keptAlive + 15);
    }
  }

  /** Runs {@link #STREAMS} chats at once; {@code leavers} of them close their stream after 100 tokens. */
  private List<Seen> run(OllamaClient client, int leavers, String model) throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(STREAMS);
    CountDownLatch start = new CountDownLatch(1);
    List<Future<Seen>> futures = new ArrayList<>();
    for (int i = 0; i < STREAMS; i++) {
      boolean leaves = i % 10 == 0 && i / 10 < leavers;
      futures.add(pool.submit(() -> {
        start.await();
        return chat(client, model, leaves);
      }));
    }
    start.countDown();
    List<Seen> seen = new ArrayList<>();
    for (Future<Seen> future : futures) {
      seen.add(future.get(5, TimeUnit.MINUTES));
    }
    pool.shutdown();
    assertThat(pool.awaitTermination(30, TimeUnit.SECONDS)).isTrue();
    return seen;
  }

  private static Seen chat(OllamaClient client, String model, boolean leaves) {
    List<String> tokens = new ArrayList<>(TOKENS);
    List<Duration> latencies = new ArrayList<>(TOKENS);
    ChatRequest request = ChatRequest.builder().model(model).addMessage(Message.user("count")).build();
    try (OllamaStream<ChatResponse> stream = client.chatStream(request)) {
      for (ChatResponse chunk : stream) {
        Instant now = Instant.now();
        if (chunk.done()) {
          return new Seen(tokens, latencies, true);
        }
        tokens.add(chunk.message().content());
        latencies.add(Duration.between(chunk.createdAt(), now));
        if (leaves && tokens.size() == 100) {
          return new Seen(tokens, latencies, false); // closing the stream cancels the call
        }
      }
    }
    throw new AssertionError("stream ended without done");
  }

  private static void assertEveryCompletedStreamIsExact(List<Seen> seen) {
    for (Seen s : seen) {
      if (s.completed()) {
        assertThat(s.tokens()).isEqualTo(SCRIPT);
      } else {
        assertThat(s.tokens()).isEqualTo(SCRIPT.subList(0, s.tokens().size()));
      }
    }
  }

  private static int awaitDisconnects(int expected) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
    while (OLLAMA.disconnects() < expected && System.nanoTime() < deadline) {
      Thread.sleep(50);
    }
    Thread.sleep(200); // and no more than that
    return OLLAMA.disconnects();
  }

  private static List<String> script() {
    List<String> tokens = new ArrayList<>();
    for (int i = 0; i < Integer.getInteger("soak.tokens", 500); i++) {
      tokens.add(" t" + i);
    }
    return Collections.unmodifiableList(tokens);
  }

  /** Per-token latency over every token of every stream, in milliseconds. */
  record Percentiles(double p50, double p99) {
    static Percentiles of(List<Seen> seen) {
      List<Long> nanos = new ArrayList<>();
      seen.forEach(s -> s.latencies().forEach(d -> nanos.add(d.toNanos())));
      Collections.sort(nanos);
      return new Percentiles(nanos.get(nanos.size() / 2) / 1e6, nanos.get((int) (nanos.size() * 0.99)) / 1e6);
    }
  }

  /**
   * Threads and heap of this JVM (gateway, stand-in and clients all live here). Three pools keep
   * idle threads for up to 60 s by design and are counted apart: Tomcat's request threads (down to
   * min-spare 10), OkHttp's TaskRunner threads and the stand-in's cached connection threads.
   * Keyway's relay loops are counted apart too: a fixed set, started with the first relayed
   * streams and kept for the JVM's life.
   */
  record Footprint(int threads, int poolThreads, int standInThreads, int okHttpThreads, int relayThreads,
      long heapUsedMiB, String others) {
    int threadsOutsidePools() {
      return threads - poolThreads - standInThreads - okHttpThreads - relayThreads;
    }

    static Footprint now() {
      System.gc();
      long heap = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed() >> 20;
      java.util.Map<String, Long> byName = new java.util.TreeMap<>();
      int pool = 0;
      int standIn = 0;
      int okHttp = 0;
      int relay = 0;
      int all = 0;
      for (Thread t : Thread.getAllStackTraces().keySet()) {
        all++;
        String name = t.getName();
        if (name.startsWith("http-nio-") && name.contains("-exec-")) {
          pool++;
        } else if (name.startsWith("keyway-standin-")) {
          standIn++;
        } else if (name.equals("OkHttp TaskRunner")) {
          okHttp++;
        } else if (name.startsWith("keyway-ollama-relay-")) {
          relay++;
        } else {
          byName.merge(name.replaceAll("[0-9]+", "#"), 1L, Long::sum);
        }
      }
      return new Footprint(all, pool, standIn, okHttp, relay, heap, byName.toString());
    }

    /** Waits (up to 30 s) for threads outside the two pools to return to {@code baseline}. */
    static Footprint settled(Footprint baseline) throws InterruptedException {
      long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
      Footprint now = now();
      while (now.threadsOutsidePools() > baseline.threadsOutsidePools() + 5 && System.nanoTime() < deadline) {
        Thread.sleep(500);
        now = now();
      }
      return now;
    }

    @Override
    public String toString() {
      return String.format(Locale.ROOT, "%d threads (%d Tomcat request threads, %d stand-in threads, %d OkHttp"
          + " TaskRunner threads, %d relay loops, others %s), heap %d MiB", threads, poolThreads, standInThreads,
          okHttpThreads, relayThreads, others, heapUsedMiB);
    }
  }
}
