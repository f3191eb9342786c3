package dev.keyway.samples.chatweb;

import static org.awaitility.Awaitility.await;
import static dev.keyway.samples.chatweb.Http.assertNoKey;
import static dev.keyway.samples.chatweb.Http.chatBody;
import static dev.keyway.samples.chatweb.Http.events;
import static dev.keyway.samples.chatweb.Http.joined;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.keyway.ollama.testkit.OllamaStandIn;
import dev.keyway.ollama.testkit.RecordedRequest;
import dev.keyway.ollama.testkit.ScriptedModel;
import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.boot.web.embedded.tomcat.TomcatWebServer;
import org.springframework.boot.web.servlet.context.ServletWebServerApplicationContext;
import dev.keyway.ollama.testkit.Fault;
import java.net.InetAddress;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/** The application's own chat route over real HTTP, against a stand-in that requires the key. */
@ExtendWith(OutputCaptureExtension.class)
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
    properties = {"keyway.demo=false", "chat.models=slow,qwen9:huge", "chat.max-num-predict=321"})
class ChatRouteTest {
  static final String KEY = Http.newKey("kw-secret-route-");
  static final Duration SLOW = Duration.ofMillis(100);
  static final List<String> COUNT = List.of("one", " two", " three", " four", " five", " six", " seven", " eight");
  static final OllamaStandIn OLLAMA = OllamaStandIn.builder().requireApiKey(KEY)
      .model(ScriptedModel.named("llama3.2").thinking("Hmm", ", blue?").answer("Blue light scatters most."))
      .model(ScriptedModel.named("slow").answer(String.join("", COUNT)).tokenDelay(SLOW))
      .build();

  @DynamicPropertySource
  static void ollama(DynamicPropertyRegistry registry) {
    registry.add("ollama.base-url", OLLAMA::baseUrl);
    registry.add("ollama.api-key", () -> KEY);
    registry.add("ollama.api-key-header", () -> "X-API-Key");
  }

  @AfterAll
  static void stop() {
    OLLAMA.close();
  }

  @LocalServerPort int port;

  String url(String path) {
    return "http://127.0.0.1:" + port + path;
  }

  RecordedRequest lastUpstream() {
    List<RecordedRequest> requests = OLLAMA.requests();
    return requests.get(requests.size() - 1);
  }

  @Test
  void streamsThinkingThenContentThenDoneWithStats() {
    HttpResponse<String> response = Http.postJson(url("/api/chat"), chatBody(null, "Why is the sky blue?"));

    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(response.headers().firstValue("Content-Type")).hasValueSatisfying(
        type -> assertThat(type).startsWith("application/x-ndjson"));
    assertThat(response.headers().firstValue("X-Accel-Buffering")).hasValue("no");
    List<Map<String, Object>> events = events(response);
    List<String> types = events.stream().map(e -> (String) e.get("type")).toList();
    assertThat(String.join(",", types)).matches("(thinking,)+(content,)+done");
    assertThat(joined(events, "thinking")).isEqualTo("Hmm, blue?");
    assertThat(joined(events, "content")).isEqualTo("Blue light scatters most.");
    Map<String, Object> done = events.get(events.size() - 1);
    assertThat(done).containsEntry("model", "llama3.2").containsEntry("doneReason", "stop")
        .containsKeys("evalCount", "promptEvalCount", "totalDurationMs");
    assertThat((Integer) done.get("evalCount")).isPositive();
    assertNoKey(response, KEY);

    RecordedRequest upstream = lastUpstream();
    assertThat(upstream.method()).isEqualTo("POST");
    assertThat(upstream.path()).isEqualTo("/api/chat");
    assertThat(upstream.header("X-API-Key")).isEqualTo(KEY);
    assertThat(upstream.bodyJson().get("stream").asBoolean()).isTrue();
    assertThat(upstream.bodyJson().get("model").asText()).isEqualTo("llama3.2");
  }

  @Test
  void sendsTheWholeConversationUpstream() {
    String body = Http.write(Map.of("model", "llama3.2", "messages", List.of(
        Map.of("role", "system", "content", "Answer briefly."),
        Map.of("role", "user", "content", "Why is the sky blue?"),
        Map.of("role", "assistant", "content", "Scattering."),
        Map.of("role", "user", "content", "And sunsets?"))));

    assertThat(Http.postJson(url("/api/chat"), body).statusCode()).isEqualTo(200);

    JsonNode messages = lastUpstream().bodyJson().get("messages");
    List<String> sent = new ArrayList<>();
    messages.forEach(m -> sent.add(m.get("role").asText() + ": " + m.get("content").asText()));
    assertThat(sent).containsExactly("system: Answer briefly.", "user: Why is the sky blue?",
        "assistant: Scattering.", "user: And sunsets?");
  }

  @Test
  void eachTokenIsFlushedAsItIsGenerated() throws Exception {
    HttpRequest request = HttpRequest.newBuilder(URI.create(url("/api/chat")))
        .header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(chatBody("slow", "Count"))).build();
    List<Long> contentArrivals = new ArrayList<>();
    long doneArrival = -1;
    try (BufferedReader lines = new BufferedReader(new InputStreamReader(
        HttpClient.newHttpClient().send(request, HttpResponse.BodyHandlers.ofInputStream()).body(),
        StandardCharsets.UTF_8))) {
      for (String line = lines.readLine(); line != null; line = lines.readLine()) {
        String type = (String) Http.parse(line).get("type");
        if ("content".equals(type)) {
          contentArrivals.add(System.nanoTime());
        } else if ("done".equals(type)) {
          doneArrival = System.nanoTime();
        }
      }
    }
    assertThat(contentArrivals).hasSize(COUNT.size());
    assertThat(doneArrival).isPositive();
    // The stand-in waits 100 ms before each token: had the route buffered, they would all arrive at once.
    Duration spread = Duration.ofNanos(contentArrivals.get(contentArrivals.size() - 1) - contentArrivals.get(0));
    assertThat(spread).isGreaterThan(SLOW.multipliedBy(COUNT.size() - 1).multipliedBy(7).dividedBy(10));
  }

  @Test
  void aBrowserThatStopsReadingCancelsGenerationUpstream() throws Exception {
    int disconnectsBefore = OLLAMA.disconnects();
    HttpRequest request = HttpRequest.newBuilder(URI.create(url("/api/chat")))
        .header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(chatBody("slow", "Count"))).build();
    HttpResponse<InputStream> response =
        HttpClient.newHttpClient().send(request, HttpResponse.BodyHandlers.ofInputStream());
    BufferedReader lines = new BufferedReader(new InputStreamReader(response.body(), StandardCharsets.UTF_8));
    assertThat(lines.readLine()).contains("\"type\":\"content\"");
    lines.close(); // what an aborted fetch does: the connection to the app goes away mid-answer

    await("the stand-in sees the route hang up").atMost(Duration.ofSeconds(5)).until(() -> OLLAMA.disconnects() > disconnectsBefore);
    assertThat(OLLAMA.disconnects()).as("the stand-in saw its client (the route) hang up mid-stream")
        .isEqualTo(disconnectsBefore + 1);
  }

  @Test
  void aMissingModelIsExplainedWithThePullCommand() {
    HttpResponse<String> response = Http.postJson(url("/api/chat"), chatBody("qwen9:huge", "hi"));

    assertThat(response.statusCode()).isEqualTo(502);
    assertThat(events(response)).containsExactly(Map.of("type", "error",
        "message", "Model 'qwen9:huge' is not available — ollama pull qwen9:huge"));
    assertNoKey(response, KEY);
  }

  @Test
  void aMalformedConversationIsRefusedBeforeAnythingGoesUpstream() {
    int before = OLLAMA.requestCount();

    HttpResponse<String> empty = Http.postJson(url("/api/chat"), "{\"messages\":[]}");
    HttpResponse<String> badRole = Http.postJson(url("/api/chat"),
        "{\"messages\":[{\"role\":\"tool\",\"content\":\"x\"}]}");

    assertThat(empty.statusCode()).isEqualTo(400);
    assertThat(events(empty)).containsExactly(Map.of("type", "error", "message", "Send at least one message."));
    assertThat(badRole.statusCode()).isEqualTo(400);
    assertThat(badRole.body()).contains("role: system, user or assistant");
    assertThat(OLLAMA.requestCount()).isEqualTo(before);
  }

  @Test
  void infoNamesTheModelsButNeitherTheKeyNorWhereOllamaIs() {
    HttpResponse<String> response = Http.get(url("/api/info"));

    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(Http.parse(response.body())).containsExactly(Map.entry("demo", false),
        Map.entry("model", "llama3.2"), Map.entry("models", List.of("llama3.2", "slow", "qwen9:huge")));
    assertThat(response.body()).doesNotContain(String.valueOf(OLLAMA.port()));
    assertNoKey(response, KEY);
  }

  @Test
  void thePageAndItsFilesAreServedWithoutTheKey() {
    for (String path : List.of("/", "/index.html", "/app.js", "/style.css")) {
      HttpResponse<String> response = Http.get(url(path));
      assertThat(response.statusCode()).as(path).isEqualTo(200);
      assertNoKey(response, KEY);
    }
  }

  // --- finding 8 of issue 10: the open route bounds what an anonymous caller can make it do ------

  @Autowired ServletWebServerApplicationContext context;

  @Test
  void listensOnLoopbackByDefault() {
    Object address = ((TomcatWebServer) context.getWebServer()).getTomcat().getConnector().getProperty("address");
    assertThat(address).isInstanceOf(InetAddress.class);
    assertThat(((InetAddress) address).isLoopbackAddress()).as("bound to %s", address).isTrue();
  }

  @Test
  void aBodyOverTheLimitIs413AndNeverParsed() throws Exception {
    int before = OLLAMA.requestCount();
    String big = chatBody(null, "x".repeat(64 * 1024));
    HttpResponse<String> declared = Http.postJson(url("/api/chat"), big);
    HttpResponse<String> chunked = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(url("/api/chat")))
        .header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofInputStream(
            () -> new java.io.ByteArrayInputStream(big.getBytes(StandardCharsets.UTF_8)))).build(),
        HttpResponse.BodyHandlers.ofString());
    HttpResponse<String> justUnder = Http.postJson(url("/api/chat"), chatBody(null, "x".repeat(60 * 1024)));

    assertThat(declared.statusCode()).isEqualTo(413);
    assertThat(chunked.statusCode()).isEqualTo(413);
    assertThat(events(declared)).containsExactly(Map.of("type", "error", "message",
        "The conversation is too long (at most 64 KB)."));
    assertThat(justUnder.statusCode()).isEqualTo(200);
    assertThat(OLLAMA.requestCount()).isEqualTo(before + 1);
  }

  @Test
  void onlyConfiguredModelsAreAskedFor() {
    int before = OLLAMA.requestCount();
    for (String model : List.of("other", "llama3.2:8b", "LLAMA3.2", "slow ")) {
      HttpResponse<String> response = Http.postJson(url("/api/chat"), chatBody(model, "hi"));
      if (model.equals("slow ")) {
        continue; // surrounding spaces are trimmed: that is "slow", which is offered
      }
      assertThat(response.statusCode()).as(model).isEqualTo(400);
      assertThat(events(response)).as(model).containsExactly(Map.of("type", "error", "message",
          "This model is not offered here; choose one of: llama3.2, slow, qwen9:huge."));
    }
    assertThat(OLLAMA.requestCount()).isEqualTo(before + 1);
  }

  @Test
  void everyAnswerIsCappedAtMaxNumPredict() {
    Http.postJson(url("/api/chat"), chatBody(null, "hi"));
    assertThat(lastUpstream().bodyJson().get("options").get("num_predict").asInt()).isEqualTo(321);
  }

  @Test
  void upstreamErrorTextStaysInTheServersLog(CapturedOutput output) {
    OLLAMA.enqueue(Fault.status(500, "{\"error\":\"runner at http://10.1.2.3:11434 crashed\\nINFO forged\"}"));
    HttpResponse<String> response = Http.postJson(url("/api/chat"), chatBody(null, "hi"));

    assertThat(response.statusCode()).isEqualTo(502);
    assertThat(events(response)).containsExactly(Map.of("type", "error", "message",
        "Ollama answered HTTP 500. The server's log has the details."));
    assertThat(response.body()).doesNotContain("10.1.2.3").doesNotContain("crashed");
    assertThat(output.getAll()).contains("10.1.2.3");
    assertThat(output.getAll().lines()).noneMatch(line -> line.startsWith("INFO forged"));
  }

  @Test
  void aModelNameCannotForgeALogLine(CapturedOutput output) {
    String forged = "2026-01-01T00:00:00.000Z ERROR 1 --- [main] forged.Logger : the key is kw-forged";
    for (String model : List.of("x\n" + forged, "x\r\n" + forged, "x\r" + forged, "x\u2028" + forged)) {
      HttpResponse<String> response = Http.postJson(url("/api/chat"), chatBody(model, "hi"));
      assertThat(response.statusCode()).isEqualTo(400);
    }
    assertThat(output.getAll()).as("the refusals were logged").contains("Refused a chat with model 'x\\n2026-01-01");
    assertThat(output.getAll().lines()).noneMatch(line -> line.startsWith(forged.substring(0, 20)));
    assertThat(output.getAll()).doesNotContain("\u2028");
  }

  @Test
  void aBodyThatIsNotAChatRequestIs400() {
    for (String body : List.of("not json", "[]", "null", "{\"messages\":\"hi\"}")) {
      HttpResponse<String> response = Http.postJson(url("/api/chat"), body);
      assertThat(response.statusCode()).as(body).isEqualTo(400);
    }
    HttpResponse<String> form = Http.send(HttpRequest.newBuilder(URI.create(url("/api/chat")))
        .header("Content-Type", "text/plain").POST(HttpRequest.BodyPublishers.ofString(chatBody(null, "hi"))).build());
    assertThat(form.statusCode()).isEqualTo(415);
  }
}
