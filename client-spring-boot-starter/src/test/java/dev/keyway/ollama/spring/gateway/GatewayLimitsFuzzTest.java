package dev.keyway.ollama.spring.gateway;

import com.code_intelligence.jazzer.api.BugDetectors;
import com.code_intelligence.jazzer.junit.FuzzTest;
import java.io.IOException;
import java.io.OutputStream;
import java.lang.reflect.Field;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * Coverage-guided fuzzing of a running gateway with {@code ollama.limits.enabled=true} (local
 * store, capacities no input runs out of, two calls in flight per caller): whatever the body,
 * endpoint and number of simultaneous copies, no answer is a 5xx, no answer carries the upstream
 * credential (the upstream puts it in every answer; the gateway must redact it), and once the
 * answers are in, every in-flight permit has been given back. The first byte of an input picks
 * the endpoint (bits 0-1) and the number of simultaneous copies (bits 2-3, 1 to 3); the rest is
 * the body. The default build replays the committed inputs; the {@code fuzz-gateway-limits}
 * surefire execution fuzzes for the time below.
 */
class GatewayLimitsFuzzTest {
  /**
   * Deliberately without the build's {@code kw-secret} marker: Jazzer learns the strings this test
   * compares answers against and writes them into its own inputs, which Tomcat then logs as the
   * request it received; build-checks would count that input as a leak. The leak check for this
   * test is its own: no answer body or header may contain the key.
   */
  private static final String KEY = "fz-upstream-credential-limits";
  private static final List<String> ENDPOINTS = List.of("api/chat", "api/generate", "api/embed", "api/show");
  private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  private static RawUpstream upstream;
  private static ConfigurableApplicationContext app;
  private static LocalLimitStore store;

  @BeforeAll
  static void start() throws Exception {
    upstream = new RawUpstream();
    upstream.on("/api/chat", out -> ndjson(out, "{\"model\":\"llama3.2\",\"message\":{\"role\":\"assistant\",\"content\":\"%s\"},\"done\":false}",
        "{\"model\":\"llama3.2\",\"message\":{\"role\":\"assistant\",\"content\":\"\"},\"done\":true,\"prompt_eval_count\":3,\"eval_count\":4}"));
    upstream.on("/api/generate", out -> ndjson(out, "{\"model\":\"llama3.2\",\"response\":\"%s\",\"done\":false}",
        "{\"model\":\"llama3.2\",\"response\":\"\",\"done\":true,\"prompt_eval_count\":3,\"eval_count\":4}"));
    upstream.on("/api/embed", out -> ndjson(out, null,
        "{\"model\":\"llama3.2\",\"embeddings\":[[0.1]],\"prompt_eval_count\":2,\"note\":\"" + KEY + "\"}"));
    upstream.on("/api/show", out -> ndjson(out, null,
        "{\"details\":{\"family\":\"" + KEY + "\"},\"capabilities\":[\"completion\"],\"modelfile\":\"" + KEY + "\"}"));
    app = LimitsApps.start(upstream.baseUrl(), "ollama.api-key=" + KEY, "ollama.gateway.allowed-models=llama3.2",
        "ollama.limits.requests.capacity=100000000", "ollama.limits.requests.period=1h",
        "ollama.limits.tokens.capacity=100000000000", "ollama.limits.tokens.period=1h",
        "ollama.limits.concurrent-streams=2", "logging.level.root=WARN");
    store = localStore(app.getBean(GatewayLimits.class));
  }

  @AfterAll
  static void stop() throws Exception {
    if (app != null) {
      app.close();
    }
    if (upstream != null) {
      upstream.close();
    }
  }

  /** The gateway's local store: the only field of that type (found by type, not by name). */
  private static LocalLimitStore localStore(GatewayLimits limits) throws IllegalAccessException {
    for (Field field : GatewayLimits.class.getDeclaredFields()) {
      if (LimitStore.class.isAssignableFrom(field.getType())) {
        field.setAccessible(true);
        if (field.get(limits) instanceof LocalLimitStore local) {
          return local;
        }
      }
    }
    throw new IllegalStateException("no LocalLimitStore in GatewayLimits");
  }

  /** Three lines of {@code each} with the credential as content (when given), then {@code last}. */
  private static void ndjson(OutputStream out, @Nullable String each, String last) throws IOException {
    StringBuilder body = new StringBuilder();
    if (each != null) {
      for (int i = 0; i < 3; i++) {
        body.append(String.format(each, i == 1 ? KEY : "tok" + i)).append('\n');
      }
    }
    body.append(last).append('\n');
    byte[] bytes = body.toString().getBytes(StandardCharsets.UTF_8);
    RawUpstream.chunkedHead(out, "application/x-ndjson");
    RawUpstream.chunk(out, bytes, 0, bytes.length);
    RawUpstream.lastChunk(out);
  }

  @FuzzTest(maxDuration = "40s")
  void anyRequestWithLimitsOnKeepsTheInvariants(byte[] raw) throws Exception {
    // Jazzer's SSRF detector refuses connections while fuzzing: allow this test's loopback ones
    // (client → gateway → upstream), nothing else. Set here: its hooks exist once Jazzer runs.
    BugDetectors.allowNetworkConnections((host, port) -> host.equals("127.0.0.1") || host.equals("localhost"));
    if (raw.length == 0) {
      return;
    }
    String endpoint = ENDPOINTS.get(raw[0] & 3);
    int copies = ((raw[0] >> 2) & 3) % 3 + 1;
    byte[] body = Arrays.copyOfRange(raw, 1, raw.length);
    String sent = new String(body, StandardCharsets.UTF_8);
    URI uri = URI.create("http://127.0.0.1:" + LimitsApps.port(app) + "/ollama/" + endpoint);
    List<CompletableFuture<HttpResponse<String>>> answers = new ArrayList<>();
    for (int i = 0; i < copies; i++) {
      answers.add(HTTP.sendAsync(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(20))
          .header("Content-Type", "application/json")
          .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build(), HttpResponse.BodyHandlers.ofString()));
    }
    for (CompletableFuture<HttpResponse<String>> answer : answers) {
      HttpResponse<String> r = answer.get(30, TimeUnit.SECONDS);
      check(r.statusCode() < 500, endpoint + " answered " + r.statusCode() + ": " + r.body());
      // A refusal quotes what the browser sent ("model X is not allowed"): when the input itself
      // carries the key's characters, that echo is the browser's own bytes, not the credential.
      check(!r.body().contains(KEY) || sent.contains(KEY),
          endpoint + " answered with the credential in the body");
      check(!r.headers().map().toString().contains(KEY), endpoint + " answered with the credential in a header");
      if (r.statusCode() == 429) {
        check(r.headers().firstValue("Retry-After").isPresent(), "429 without Retry-After");
      }
    }
    // The permit is given back as the servlet's call ends, which may be just after the answer's
    // last byte reached the client: wait for it, bounded.
    Awaitility.await().atMost(Duration.ofSeconds(5)).pollDelay(Duration.ZERO).pollInterval(Duration.ofMillis(1))
        .until(() -> store.callersInFlight() == 0);
  }

  private static void check(boolean condition, String what) {
    if (!condition) {
      throw new AssertionError(what);
    }
  }
}
