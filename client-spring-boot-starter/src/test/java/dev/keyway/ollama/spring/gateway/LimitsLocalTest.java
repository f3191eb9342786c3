package dev.keyway.ollama.spring.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.Socket;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.springframework.boot.actuate.audit.listener.AuditApplicationEvent;
import org.springframework.context.ApplicationListener;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * The local store through the gateway: exact admission under a race, the 429's shape, the
 * in-flight cap refusing at once, the token quota refusing the next call, permits released however
 * a stream ends, and the audit event and metric of a refusal.
 */
class LimitsLocalTest {
  /** Lives as long as the test JVM (a daemon thread): LimitsRedisTest drives the same streams. */
  static final RawUpstream UPSTREAM = new RawUpstream();
  static final String PROMPT = "prompt-text-xyzzy";
  static final String CHAT = "{\"model\":\"m\",\"stream\":false,\"messages\":[{\"role\":\"user\",\"content\":\""
      + PROMPT + "\"}]}";
  static final String STREAM = "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"" + PROMPT + "\"}]}";
  static final byte[] LINE = "{\"model\":\"m\",\"message\":{\"role\":\"assistant\",\"content\":\"a\"},\"done\":false}\n"
      .getBytes(StandardCharsets.UTF_8);

  /** What /api/chat answers in the current test; /api/generate always answers a unary reply at once. */
  static volatile RawUpstream.Handler chat = LimitsApps::unaryChat;

  static {
    UPSTREAM.on("/api/chat", out -> chat.answer(out));
    UPSTREAM.on("/api/generate", LimitsApps::unaryChat);
  }

  @Test
  void capacityTenAdmitsExactlyTenOfThirtyRacingCallsAndRefusesTheRestWithA429() throws Exception {
    chat = LimitsApps::unaryChat;
    try (ConfigurableApplicationContext app = LimitsApps.start(UPSTREAM.baseUrl(),
        "ollama.limits.requests.capacity=10", "ollama.limits.requests.period=1h")) {
      List<AuditApplicationEvent> audited = new CopyOnWriteArrayList<>();
      app.addApplicationListener((ApplicationListener<AuditApplicationEvent>) audited::add);
      ExecutorService pool = Executors.newFixedThreadPool(30);
      try {
        CountDownLatch go = new CountDownLatch(1);
        List<Future<HttpResponse<String>>> answers = new ArrayList<>();
        for (int i = 0; i < 30; i++) {
          answers.add(pool.submit(() -> {
            assertThat(go.await(20, TimeUnit.SECONDS)).isTrue();
            return LimitsApps.post(app, "/api/chat", CHAT);
          }));
        }
        go.countDown();
        int admitted = 0;
        for (Future<HttpResponse<String>> answer : answers) {
          HttpResponse<String> r = answer.get(30, TimeUnit.SECONDS);
          if (r.statusCode() == 200) {
            admitted++;
            continue;
          }
          assertThat(r.statusCode()).as(r.body()).isEqualTo(429);
          assertThat(r.headers().firstValue("Retry-After").orElseThrow()).matches("[1-9][0-9]*");
          assertThat(r.headers().firstValue("RateLimit-Policy")).contains("\"requests\";q=10;w=3600");
          assertThat(r.headers().firstValue("RateLimit").orElseThrow()).matches("\"requests\";r=0;t=[1-9][0-9]*");
          assertThat(r.headers().firstValue("Content-Type").orElseThrow()).startsWith("application/json");
          JsonNode body = GatewayFixture.JSON.readTree(r.body());
          assertThat(body.size()).isEqualTo(1);
          assertThat(body.get("error").asText()).startsWith("too many requests; try again in ");
        }
        assertThat(admitted).isEqualTo(10);
      } finally {
        pool.shutdownNow();
      }
      // Each 429 is one audit event and one count, tagged by reason; no key, no prompt text.
      assertThat(audited).hasSize(20);
      String caller = CallerHash.PLAIN.hash("address:127.0.0.1");
      for (AuditApplicationEvent event : audited) {
        assertThat(event.getAuditEvent().getType()).isEqualTo(DenialEvents.AUDIT_TYPE);
        assertThat(event.getAuditEvent().getPrincipal()).isEqualTo("caller:" + caller);
        assertThat(event.getAuditEvent().getData()).containsEntry("reason", "requests")
            .containsEntry("caller", caller).containsEntry("path", "/api/chat").containsEntry("model", "m");
        assertThat(event.getAuditEvent().toString()).doesNotContain("kw-secret", PROMPT, "127.0.0.1");
      }
      MeterRegistry registry = app.getBean(MeterRegistry.class);
      assertThat(registry.get(DenialEvents.METRIC).tag("reason", "requests").counter().count()).isEqualTo(20.0);
      assertThat(registry.find(DenialEvents.METRIC).counters()).allSatisfy(c ->
          assertThat(c.getId().getTags()).extracting(t -> t.getKey()).containsExactly("reason"));
    }
  }

  /**
   * With {@code ollama.gateway.caller-hash-key}, the limits' store and every denial carry the keyed
   * hash: a limit's 429, the gateway's own refusal, and the usage asked from code under the same id.
   */
  @Test
  void aCallerHashKeyKeysTheStoreAndTheAuditAlike() throws Exception {
    chat = LimitsApps::unaryChat;
    try (ConfigurableApplicationContext app = LimitsApps.start(UPSTREAM.baseUrl(),
        "ollama.limits.requests.capacity=1", "ollama.limits.requests.period=1h", "ollama.gateway.allowed-models=m",
        "ollama.gateway.caller-hash-key=" + CallerHashTest.KEY)) {
      List<AuditApplicationEvent> audited = new CopyOnWriteArrayList<>();
      app.addApplicationListener((ApplicationListener<AuditApplicationEvent>) audited::add);
      assertThat(LimitsApps.post(app, "/api/chat", CHAT).statusCode()).isEqualTo(200);
      assertThat(LimitsApps.post(app, "/api/chat", CHAT).statusCode()).isEqualTo(429);
      assertThat(LimitsApps.post(app, "/api/chat", CHAT.replace("\"m\"", "\"other\"")).statusCode()).isEqualTo(403);
      assertThat(app.getBean(OllamaUsageLimits.class).usage("address:127.0.0.1").requestsRemaining()).isZero();

      String keyed = CallerHash.of(CallerHashTest.KEY).hash("address:127.0.0.1");
      assertThat(keyed).isEqualTo("4db114729f2a55ccb611725b96eaecfb");
      assertThat(audited).extracting(event -> event.getAuditEvent().getData().get("reason"))
          .containsExactly("requests", GatewayDenials.NOT_ALLOWED);
      assertThat(audited).allSatisfy(event -> {
        assertThat(event.getAuditEvent().getPrincipal()).isEqualTo("caller:" + keyed);
        assertThat(event.getAuditEvent().getData()).containsEntry("caller", keyed);
        assertThat(event.getAuditEvent().toString()).doesNotContain(CallerHash.PLAIN.hash("address:127.0.0.1"),
            CallerHashTest.KEY);
      });
    }
  }

  @Test
  void aShortCallerHashKeyStopsTheStartWithAMessageThatDoesNotShowIt() {
    String shortKey = "kw-short-key-31";
    assertThatThrownBy(() -> LimitsApps.start(UPSTREAM.baseUrl(), "ollama.gateway.caller-hash-key=" + shortKey)
        .close())
        .hasRootCauseMessage("ollama.gateway.caller-hash-key is 15 characters long; use at least 32 random ones "
            + "(for example: openssl rand -hex 32)")
        .satisfies(failure -> assertThat(stackTrace(failure)).doesNotContain(shortKey));
  }

  private static String stackTrace(Throwable failure) {
    StringWriter text = new StringWriter();
    failure.printStackTrace(new PrintWriter(text));
    return text.toString();
  }

  @Test
  void aTokenChargeRefusesTheNextCallUntilTheQuotaRefills() throws Exception {
    chat = LimitsApps::unaryChat;
    try (ConfigurableApplicationContext app = LimitsApps.start(UPSTREAM.baseUrl(),
        "ollama.limits.tokens.capacity=5", "ollama.limits.tokens.period=1h")) {
      // The answer says 3 + 4 tokens: the call that crosses the quota is served, the next is not.
      assertThat(LimitsApps.post(app, "/api/chat", CHAT).statusCode()).isEqualTo(200);
      HttpResponse<String> next = LimitsApps.post(app, "/api/chat", CHAT);
      assertThat(next.statusCode()).as(next.body()).isEqualTo(429);
      assertThat(next.headers().firstValue("RateLimit-Policy")).contains("\"tokens\";q=5;w=3600");
      assertThat(next.headers().firstValue("RateLimit").orElseThrow()).matches("\"tokens\";r=0;t=[1-9][0-9]*");
      assertThat(next.headers().firstValue("Retry-After").orElseThrow()).matches("[1-9][0-9]*");
      assertThat(GatewayFixture.JSON.readTree(next.body()).get("error").asText()).startsWith("token quota used up");
      assertThat(app.getBean(MeterRegistry.class).get(DenialEvents.METRIC).tag("reason", "tokens").counter().count())
          .isEqualTo(1.0);
    }
  }

  @Test
  void aSecondStreamIsRefusedAtOnceAndAdmittedOnceTheFirstEnds() throws Exception {
    CountDownLatch started = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    chat = out -> {
      RawUpstream.chunkedHead(out, "application/x-ndjson");
      RawUpstream.chunk(out, LINE, 0, LINE.length);
      out.flush();
      started.countDown();
      awaitOrFail(release);
      RawUpstream.lastChunk(out);
    };
    try (ConfigurableApplicationContext app = LimitsApps.start(UPSTREAM.baseUrl(), "ollama.limits.concurrent-streams=1")) {
      Future<HttpResponse<String>> first;
      ExecutorService pool = Executors.newSingleThreadExecutor();
      try {
        first = pool.submit(() -> LimitsApps.post(app, "/api/chat", STREAM));
        awaitOrFail(started);
        long start = System.nanoTime();
        HttpResponse<String> second = LimitsApps.post(app, "/api/generate", CHAT);
        long took = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        assertThat(second.statusCode()).as(second.body()).isEqualTo(429);
        assertThat(second.headers().firstValue("Retry-After")).contains("1");
        assertThat(GatewayFixture.JSON.readTree(second.body()).get("error").asText()).contains("in flight");
        assertThat(took).as("a concurrency refusal is immediate").isLessThan(2000);
        release.countDown();
        assertThat(first.get(20, TimeUnit.SECONDS).statusCode()).isEqualTo(200);
      } finally {
        release.countDown();
        pool.shutdownNow();
      }
      assertAdmittedWithin(app, Duration.ofSeconds(10));
    }
  }

  @Test
  void aCallerThatDisconnectsMidStreamGivesItsPermitBack() throws Exception {
    callerResetGivesThePermitBack();
  }

  /** One permit per caller; the caller resets its connection mid-stream; a new call is admitted. */
  static void callerResetGivesThePermitBack(String... store) throws Exception {
    CountDownLatch started = new CountDownLatch(1);
    CountDownLatch callerGone = new CountDownLatch(1);
    CountDownLatch upstreamCut = new CountDownLatch(1);
    chat = out -> {
      RawUpstream.chunkedHead(out, "application/x-ndjson");
      RawUpstream.chunk(out, LINE, 0, LINE.length);
      out.flush();
      started.countDown();
      awaitOrFail(callerGone);
      // Still streaming after the caller left, until the gateway hangs up on us.
      try {
        for (int i = 0; i < 1_000_000; i++) {
          RawUpstream.chunk(out, LINE, 0, LINE.length);
          out.flush();
        }
      } finally {
        upstreamCut.countDown();
      }
    };
    try (ConfigurableApplicationContext app = LimitsApps.start(UPSTREAM.baseUrl(),
        with(store, "ollama.limits.concurrent-streams=1"))) {
      try (Socket socket = new Socket("127.0.0.1", LimitsApps.port(app))) {
        socket.setSoTimeout(20_000);
        byte[] body = STREAM.getBytes(StandardCharsets.UTF_8);
        OutputStream out = socket.getOutputStream();
        out.write(("POST /ollama/api/chat HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            + "Content-Length: " + body.length + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
        out.write(body);
        out.flush();
        awaitOrFail(started);
        InputStream in = socket.getInputStream();
        assertThat(in.read()).isNotEqualTo(-1); // the first bytes of the stream reached us
        socket.setSoLinger(true, 0); // a reset, like a browser tab closed
      }
      callerGone.countDown();
      awaitOrFail(upstreamCut);
      assertAdmittedWithin(app, Duration.ofSeconds(10));
    }
  }

  @Test
  void anUpstreamThatBreaksMidStreamGivesThePermitBack() throws Exception {
    upstreamBreakGivesThePermitBack();
  }

  /** One permit per caller; Ollama's stream breaks mid-body; a new call is admitted. */
  static void upstreamBreakGivesThePermitBack(String... store) throws Exception {
    chat = out -> {
      RawUpstream.chunkedHead(out, "application/x-ndjson");
      RawUpstream.chunk(out, LINE, 0, LINE.length);
      out.flush();
      // No last chunk: the connection closes mid-body.
    };
    try (ConfigurableApplicationContext app = LimitsApps.start(UPSTREAM.baseUrl(),
        with(store, "ollama.limits.concurrent-streams=1"))) {
      HttpResponse<String> broken = LimitsApps.post(app, "/api/chat", STREAM);
      assertThat(broken.statusCode()).isEqualTo(200);
      assertThat(broken.body()).contains("{\"error\":\"upstream stream failed\"}");
      assertAdmittedWithin(app, Duration.ofSeconds(10));
    }
  }

  private static String[] with(String[] store, String... more) {
    List<String> all = new ArrayList<>(List.of(store));
    all.addAll(List.of(more));
    return all.toArray(String[]::new);
  }

  /** A new call from the same caller is admitted before {@code deadline}; refusals until then are retried. */
  private static void assertAdmittedWithin(ConfigurableApplicationContext app, Duration within) throws Exception {
    long deadline = System.nanoTime() + within.toNanos();
    int status;
    do {
      status = LimitsApps.post(app, "/api/generate", CHAT).statusCode();
    } while (status == 429 && System.nanoTime() < deadline);
    assertThat(status).as("a new call within %s", within).isEqualTo(200);
  }

  private static void awaitOrFail(CountDownLatch latch) throws IOException {
    try {
      if (!latch.await(20, TimeUnit.SECONDS)) {
        throw new IOException("waited 20 s");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException(e);
    }
  }
}
