package dev.keyway.ollama.spring.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.keyway.ollama.OllamaClient;
import dev.keyway.ollama.model.GenerateRequest;
import dev.keyway.ollama.model.RunningModel;
import dev.keyway.ollama.testkit.OllamaStandIn;
import dev.keyway.ollama.testkit.RecordedRequest;
import dev.keyway.ollama.testkit.ScriptedModel;
import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.core.env.Environment;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/** The gateway in a real servlet container, in front of the stand-in that requires a key. */
@SpringBootTest(classes = GatewayFixture.App.class, webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
    properties = {"ollama.gateway.enabled=true", "ollama.gateway.allowed-models=llama3.2,slow",
        "ollama.gateway.max-num-predict=5", "ollama.gateway.max-request-size=4KB",
        "ollama.gateway.allowed-origins=https://app.example"})
class GatewayTest extends GatewayFixture {
  static final String KEY = "kw-secret-gateway-upstream-2718";
  @AutoClose static final OllamaStandIn OLLAMA = OllamaStandIn.builder().requireApiKey(KEY)
      .model(ScriptedModel.named("llama3.2").thinking("Hmm").answer("The sky is blue because of Rayleigh scattering."))
      .model(ScriptedModel.named("slow").answer("one two three four five six seven eight nine ten")
          .tokenDelay(Duration.ofMillis(150)))
      .model(ScriptedModel.named("other").answer("not for browsers"))
      .build();

  @DynamicPropertySource
  static void upstream(DynamicPropertyRegistry registry) {
    upstream(registry, OLLAMA::baseUrl, KEY);
  }

  int upstreamBefore;

  @BeforeEach
  void mark() {
    upstreamBefore = OLLAMA.requestCount();
  }

  RecordedRequest lastUpstream() {
    return lastRequest(OLLAMA);
  }

  static void assertNoKey(HttpResponse<String> response) {
    assertThat(response.body()).doesNotContain(KEY);
    assertThat(response.headers().map().toString()).doesNotContain(KEY);
  }

  @Test
  void streamedChatPassesOllamasNdjsonThrough() throws Exception {
    HttpResponse<String> r = post("/api/chat", "{\"model\":\"llama3.2\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}");
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.headers().firstValue("Content-Type")).hasValueSatisfying(v -> assertThat(v).startsWith("application/x-ndjson"));
    assertThat(r.headers().firstValue("X-Accel-Buffering")).contains("no");
    String[] lines = r.body().split("\n");
    assertThat(lines.length).isGreaterThan(3);
    assertThat(JSON.readTree(lines[lines.length - 1]).get("done").asBoolean()).isTrue();
    assertThat(lastUpstream().header("X-API-Key")).isEqualTo(KEY);
    assertNoKey(r);
  }

  @Test
  void unaryChatAndGenerate() throws Exception {
    HttpResponse<String> chat = post("/api/chat", "{\"model\":\"llama3.2\",\"stream\":false,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}");
    // max-num-predict=5 cuts the scripted answer: the cap reached Ollama.
    assertThat(JSON.readTree(chat.body()).get("message").get("content").asText()).startsWith("The sky");
    assertThat(JSON.readTree(chat.body()).get("done_reason").asText()).isEqualTo("length");
    HttpResponse<String> gen = post("/api/generate", "{\"model\":\"llama3.2\",\"stream\":false,\"prompt\":\"hi\"}");
    assertThat(JSON.readTree(gen.body()).get("response").asText()).startsWith("The sky");
    assertNoKey(chat);
    assertNoKey(gen);
  }

  @Test
  void tagsAndVersion() throws Exception {
    HttpResponse<String> tags = http.send(HttpRequest.newBuilder(uri("/api/tags")).build(), HttpResponse.BodyHandlers.ofString());
    // The stand-in serves three models; the browser sees only the two it may use.
    assertThat(JSON.readTree(tags.body()).get("models").findValuesAsText("name"))
        .containsExactly("llama3.2:latest", "slow:latest");
    HttpResponse<String> version = http.send(HttpRequest.newBuilder(uri("/api/version")).build(), HttpResponse.BodyHandlers.ofString());
    assertThat(JSON.readTree(version.body()).get("version").asText()).isNotBlank();
  }

  @Test
  void embedPassesThroughForAnAllowedModel() throws Exception {
    HttpResponse<String> r = post("/api/embed", "{\"model\":\"llama3.2\",\"input\":[\"a\",\"b\"],\"dimensions\":4}");
    assertThat(r.statusCode()).isEqualTo(200);
    JsonNode body = JSON.readTree(r.body());
    assertThat(body.get("embeddings")).hasSize(2);
    assertThat(body.get("embeddings").get(0)).hasSize(4);
    RecordedRequest upstream = lastUpstream();
    assertThat(upstream.path()).isEqualTo("/api/embed");
    assertThat(upstream.header("X-API-Key")).isEqualTo(KEY);
    assertThat(JSON.readTree(upstream.body()).get("input")).hasSize(2);
    assertNoKey(r);
  }

  @Test
  void showAnswersWhatAModelPickerNeedsAndNotTheModelfile() throws Exception {
    HttpResponse<String> r = post("/api/show", "{\"model\":\"llama3.2\"}");
    assertThat(r.statusCode()).isEqualTo(200);
    JsonNode show = JSON.readTree(r.body());
    assertThat(show.get("details").get("family").asText()).isNotBlank();
    assertThat(show.get("capabilities").isArray()).isTrue();
    assertThat(show.get("modified_at").asText()).isNotBlank();
    assertThat(show.get("model_info").get("llama.context_length").asInt()).isPositive();
    assertThat(show.has("modelfile") || show.has("template") || show.has("system")
        || show.has("parameters") || show.has("license") || show.has("tensors")).as(r.body()).isFalse();
    assertThat(r.body()).doesNotContain("Modelfile").doesNotContain("{{");
    assertThat(lastUpstream().path()).isEqualTo("/api/show");
    // What upstream answered did hold them: the gateway removed them.
    OllamaClient direct = OllamaClient.builder().baseUrl(OLLAMA.baseUrl()).apiKey(KEY).build();
    try (direct) {
      assertThat(direct.show("llama3.2").modelfile()).isNotBlank();
    }
    assertNoKey(r);
  }

  @Test
  void psListsOnlyAllowedModels() throws Exception {
    post("/api/generate", "{\"model\":\"llama3.2\",\"stream\":false,\"prompt\":\"hi\"}");
    OllamaClient direct = OllamaClient.builder().baseUrl(OLLAMA.baseUrl()).apiKey(KEY).build();
    try (direct) {
      direct.generate(GenerateRequest.builder().model("other").prompt("hi").build());
      assertThat(direct.running()).extracting(RunningModel::name).contains("other:latest");
    }
    HttpResponse<String> r = http.send(HttpRequest.newBuilder(uri("/api/ps")).build(), HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).isEqualTo(200);
    List<String> names = JSON.readTree(r.body()).get("models").findValuesAsText("name");
    assertThat(names).isNotEmpty().doesNotContain("other", "other:latest");
    assertThat(lastUpstream().path()).isEqualTo("/api/ps");
  }

  @ParameterizedTest
  @ValueSource(strings = {
      "/api/embed|{\"model\":\"other\",\"input\":\"x\"}",
      "/api/show|{\"model\":\"other\"}",
      "/api/show|{\"model\":\"OTHER\"}",
      "/api/show|{\"name\":\"other\"}",
      "/api/show|{\"model\":\"llama3.2\",\"name\":\"other\"}",
      "/api/embed|{\"model\":\"llama3.2\",\"MODEL\":\"other\",\"input\":\"x\"}",
      "/api/show|{\"model\":\"llama3.2\",\"Model\":\"other\"}",
      "/api/embed|{\"model\":\"llama3.2\",\"model\":\"other\",\"input\":\"x\"}"})
  void embedAndShowAreBehindTheAllowList(String pathAndBody) throws Exception {
    String[] parts = pathAndBody.split("\\|", 2);
    HttpResponse<String> r = post(parts[0], parts[1]);
    assertThat(r.statusCode()).isIn(400, 403);
    assertThat(JSON.readTree(r.body()).get("error").asText()).isNotBlank();
    assertThat(OLLAMA.requestCount()).isEqualTo(upstreamBefore);
  }

  @ParameterizedTest
  @ValueSource(strings = {"POST /api/pull", "POST /api/push", "POST /api/create", "POST /api/copy",
      "DELETE /api/delete", "HEAD /api/blobs/sha256:29fdb92e57cf0827ded04ae6461b5931d01fa595843f55d36f5b275a52087dd2",
      "POST /api/blobs/sha256:29fdb92e57cf0827ded04ae6461b5931d01fa595843f55d36f5b275a52087dd2",
      "POST /api/embeddings", "POST /api/web_search", "POST /api/experimental/web_fetch"})
  void managementEndpointsAreNeverExposed(String methodAndPath) throws Exception {
    String[] parts = methodAndPath.split(" ");
    HttpResponse<String> r = http.send(HttpRequest.newBuilder(uri(parts[1]))
        .method(parts[0], parts[0].equals("HEAD") ? HttpRequest.BodyPublishers.noBody()
            : HttpRequest.BodyPublishers.ofString("{\"model\":\"llama3.2\",\"source\":\"llama3.2\",\"destination\":\"x\"}"))
        .header("Content-Type", "application/json").build(), HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).isEqualTo(404);
    assertThat(OLLAMA.requestCount()).isEqualTo(upstreamBefore);
  }

  @Test
  void browserCredentialsAreNeverForwarded() throws Exception {
    // The browser's own credentials, not Keyway's: no kw-secret marker, because Tomcat itself logs
    // inbound request headers at DEBUG (see docs/security-testing.md).
    post("/api/chat", "{\"model\":\"llama3.2\",\"stream\":false}", "Authorization", "Bearer browser-token",
        "X-API-Key", "browser-key", "Cookie", "SESSION=abc", "Proxy-Authorization", "Basic eA==");
    RecordedRequest upstream = lastUpstream();
    assertThat(upstream.header("X-API-Key")).isEqualTo(KEY);
    assertThat(upstream.header("Authorization")).isNull();
    assertThat(upstream.header("Cookie")).isNull();
    assertThat(upstream.header("Proxy-Authorization")).isNull();
    assertThat(upstream.headers().toString()).doesNotContain("browser-token").doesNotContain("browser-key");
  }

  @ParameterizedTest
  @ValueSource(strings = {"other", "OTHER", "other:latest", "llama3.2:70b", " llama3.2", "llama3.2 ",
      "llаma3.2", "llama3.2@sha256:0000000000000000000000000000000000000000000000000000000000000000", ""})
  void modelsOffTheAllowListAreRefused(String model) throws Exception {
    HttpResponse<String> r = post("/api/chat", JSON.createObjectNode().put("model", model).put("stream", false).toString());
    assertThat(r.statusCode()).isEqualTo(403);
    assertThat(JSON.readTree(r.body()).get("error").asText()).contains("not allowed by this gateway");
    assertThat(OLLAMA.requestCount()).isEqualTo(upstreamBefore);
  }

  @ParameterizedTest
  @ValueSource(strings = {"llama3.2", "LLAMA3.2", "llama3.2:latest", "library/llama3.2", "registry.ollama.ai/library/llama3.2:latest"})
  void allowedModelInAnyEquivalentSpellingPasses(String model) throws Exception {
    HttpResponse<String> r = post("/api/chat", JSON.createObjectNode().put("model", model).put("stream", false).toString());
    assertThat(r.statusCode()).isNotEqualTo(403);
  }

  @Test
  void duplicateKeysCannotSmuggleAModel() throws Exception {
    HttpResponse<String> r = post("/api/chat", "{\"model\":\"llama3.2\",\"model\":\"other\",\"stream\":false}");
    assertThat(r.statusCode()).isEqualTo(400);
    assertThat(OLLAMA.requestCount()).isEqualTo(upstreamBefore);
  }

  @ParameterizedTest
  @ValueSource(strings = {"", ",\"options\":{}", ",\"options\":{\"num_predict\":-1}", ",\"options\":{\"num_predict\":100000}"})
  void numPredictIsCapped(String options) throws Exception {
    post("/api/generate", "{\"model\":\"llama3.2\",\"stream\":false,\"prompt\":\"p\"" + options + "}");
    assertThat(lastUpstream().bodyJson().get("options").get("num_predict").asInt()).isEqualTo(5);
  }

  @Test
  void numPredictBelowTheCapIsKeptAndANonNumberIsRefused() throws Exception {
    post("/api/generate", "{\"model\":\"llama3.2\",\"stream\":false,\"prompt\":\"p\",\"options\":{\"num_predict\":3}}");
    assertThat(lastUpstream().bodyJson().get("options").get("num_predict").asInt()).isEqualTo(3);
    HttpResponse<String> text = post("/api/generate", "{\"model\":\"llama3.2\",\"options\":{\"num_predict\":\"9999\"}}");
    assertThat(text.statusCode()).isEqualTo(400);
    assertThat(text.body()).contains("num_predict");
  }

  /** The body is read whole up to the limit, whether its length is declared (sizing the read) or not. */
  @Test
  void aBodyOfExactlyTheLimitOrJustUnderReachesUpstreamWhole() throws Exception {
    String head = "{\"model\":\"llama3.2\",\"stream\":false,\"prompt\":\"";
    for (int size : new int[] {4096, 4095, 3000}) {
      String body = head + "x".repeat(size - head.length() - 2) + "\"}";
      assertThat(body.getBytes(StandardCharsets.UTF_8)).hasSize(size);
      assertThat(post("/api/generate", body).statusCode()).as("declared, %d bytes", size).isEqualTo(200);
      assertThat(lastUpstream().bodyJson().get("prompt").asText()).hasSize(size - head.length() - 2);
      HttpResponse<String> chunked = http.send(HttpRequest.newBuilder(uri("/api/generate"))
          .header("Content-Type", "application/json")
          .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new java.io.ByteArrayInputStream(body.getBytes(StandardCharsets.UTF_8))))
          .build(), HttpResponse.BodyHandlers.ofString());
      assertThat(chunked.statusCode()).as("chunked, %d bytes", size).isEqualTo(200);
      assertThat(lastUpstream().bodyJson().get("prompt").asText()).hasSize(size - head.length() - 2);
    }
  }

  @Test
  void oversizedBodiesGet413WithOrWithoutContentLength() throws Exception {
    String big = "{\"model\":\"llama3.2\",\"prompt\":\"" + "x".repeat(8 * 1024) + "\"}";
    assertThat(post("/api/generate", big).statusCode()).isEqualTo(413);
    HttpResponse<String> chunked = http.send(HttpRequest.newBuilder(uri("/api/generate"))
        .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofInputStream(() -> new java.io.ByteArrayInputStream(big.getBytes(StandardCharsets.UTF_8))))
        .build(), HttpResponse.BodyHandlers.ofString());
    assertThat(chunked.statusCode()).isEqualTo(413);
    assertThat(OLLAMA.requestCount()).isEqualTo(upstreamBefore);
  }

  @Test
  void upstreamErrorsKeepOllamasStatusAndShape() throws Exception {
    OLLAMA.enqueue(dev.keyway.ollama.testkit.Fault.status(500,
        "{\"error\":\"option \\\"stop\\\" must be of type array\"}"));
    HttpResponse<String> r = post("/api/chat", "{\"model\":\"llama3.2\",\"stream\":false}");
    assertThat(r.statusCode()).isEqualTo(500);
    assertThat(JSON.readTree(r.body()).get("error").asText()).isEqualTo("option \"stop\" must be of type array");
    assertNoKey(r);
  }

  @Test
  void streamedTokensArriveIncrementallyAndADisconnectCancelsUpstream() throws Exception {
    int disconnectsBefore = OLLAMA.disconnects();
    String body = "{\"model\":\"slow\",\"messages\":[{\"role\":\"user\",\"content\":\"count\"}]}";
    try (Socket socket = new Socket("127.0.0.1", port())) {
      OutputStream out = socket.getOutputStream();
      out.write(("POST /ollama/api/chat HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
          + "Content-Length: " + body.length() + "\r\n\r\n" + body).getBytes(StandardCharsets.US_ASCII));
      out.flush();
      InputStream in = socket.getInputStream();
      BufferedReader reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
      String line;
      long start = System.nanoTime();
      while ((line = reader.readLine()) != null && !line.contains("\"content\":\"one\"")) {
        // headers and chunk sizes
      }
      assertThat(line).contains("\"content\":\"one\"");
      // The first token arrived long before the stand-in could have sent all ten (150 ms apart).
      assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofMillis(1200));
    }
    assertThat(OLLAMA.awaitDisconnect(Duration.ofSeconds(5))).isTrue();
    assertThat(OLLAMA.disconnects()).isGreaterThan(disconnectsBefore);
  }

  @Test
  void corsHeadersOnlyForAllowedOrigins() throws Exception {
    HttpResponse<String> none = http.send(HttpRequest.newBuilder(uri("/api/version")).build(), HttpResponse.BodyHandlers.ofString());
    assertThat(none.headers().firstValue("Access-Control-Allow-Origin")).isEmpty();
    HttpResponse<String> allowed = http.send(HttpRequest.newBuilder(uri("/api/version")).header("Origin", "https://app.example").build(), HttpResponse.BodyHandlers.ofString());
    assertThat(allowed.headers().firstValue("Access-Control-Allow-Origin")).contains("https://app.example");
    HttpResponse<String> other = http.send(HttpRequest.newBuilder(uri("/api/version")).header("Origin", "https://evil.example").build(), HttpResponse.BodyHandlers.ofString());
    assertThat(other.statusCode()).isEqualTo(403);
    assertThat(other.headers().firstValue("Access-Control-Allow-Origin")).isEmpty();
  }

  @Test
  void unknownPathsAnswerLikeOllama() throws Exception {
    HttpResponse<String> r = http.send(HttpRequest.newBuilder(uri("/api/pull")).header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString("{}")).build(), HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).isEqualTo(404);
    assertThat(r.body()).isEqualTo("404 page not found");
  }
}
