package dev.keyway.ollama.spring.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.keyway.ollama.testkit.Fault;
import dev.keyway.ollama.testkit.OllamaStandIn;
import dev.keyway.ollama.testkit.RecordedRequest;
import dev.keyway.ollama.testkit.ScriptedModel;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterAll;
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

/**
 * What a hostile browser can try against the gateway: smuggling a model past the allow-list,
 * lifting the {@code num_predict} cap, oversized or lying bodies, and fishing for the upstream key.
 * Every refusal must happen before anything is sent upstream.
 */
@SpringBootTest(classes = GatewayAttackTest.App.class, webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
    properties = {"ollama.gateway.enabled=true", "ollama.gateway.allowed-models=llama3.2",
        "ollama.gateway.max-num-predict=5", "ollama.gateway.max-request-size=64KB",
        "ollama.api-key-header=X-API-Key", "ollama.retry.max-retries=0"})
class GatewayAttackTest {
  static final String KEY = "kw-secret-gateway-attack";
  static final ObjectMapper JSON = new ObjectMapper();
  static final OllamaStandIn OLLAMA = OllamaStandIn.builder().requireApiKey(KEY)
      .model(ScriptedModel.named("llama3.2").answer("Blue."))
      .model(ScriptedModel.named("other").answer("not for browsers"))
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
  final HttpClient http = HttpClient.newHttpClient();
  int upstreamBefore;

  @BeforeEach
  void mark() {
    upstreamBefore = OLLAMA.requestCount();
  }

  int port() {
    return Integer.parseInt(environment.getProperty("local.server.port"));
  }

  HttpResponse<String> post(String path, String json) throws Exception {
    return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port() + "/ollama" + path))
        .POST(HttpRequest.BodyPublishers.ofString(json)).header("Content-Type", "application/json").build(),
        HttpResponse.BodyHandlers.ofString());
  }

  void assertNothingWentUpstream() {
    assertThat(OLLAMA.requestCount()).as("requests that reached Ollama").isEqualTo(upstreamBefore);
  }

  RecordedRequest lastUpstream() {
    List<RecordedRequest> all = OLLAMA.requests();
    return all.get(all.size() - 1);
  }

  /** Go's encoding/json matches field names case-insensitively, with 'ſ' = 's' and 'K' = 'k'. */
  @ParameterizedTest
  @ValueSource(strings = {
      "{\"model\":\"llama3.2\",\"MODEL\":\"other\",\"stream\":false}",
      "{\"Model\":\"other\",\"stream\":false}",
      "{\"model\":\"llama3.2\",\"Options\":{\"num_predict\":-1},\"stream\":false}",
      "{\"model\":\"llama3.2\",\"option\u017f\":{\"num_predict\":-1},\"stream\":false}",
      "{\"model\":\"llama3.2\",\"\u212Aeep_alive\":-1,\"stream\":false}",
      "{\"model\":\"llama3.2\",\"Stream\":true,\"stream\":false}"})
  void fieldNamesThatGoWouldFoldOntoOllamasAreRefused(String body) throws Exception {
    for (String endpoint : List.of("/api/chat", "/api/generate")) {
      HttpResponse<String> r = post(endpoint, body);
      assertThat(r.statusCode()).as(endpoint).isEqualTo(400);
      assertThat(JSON.readTree(r.body()).get("error").asText()).contains("lower-case");
    }
    assertNothingWentUpstream();
  }

  @ParameterizedTest
  @ValueSource(strings = {
      "\uFF4C\uFF4C\uFF41\uFF4D\uFF413.2", // fullwidth
      "llama\u200D3.2", // zero-width joiner
      "llama3.2\u00A0", // no-break space
      "llama3.2\t",
      "llama3.2\n",
      "llama3.2\u0000",
      "ll\u0430ma3.2", // Cyrillic a
      "llama3.\u0662", // Arabic-Indic two
      "llama3.2:",
      "llama3.2:latest:latest",
      "llama3.2@sha256:a80c4f17acd55265feec403c7aef86be0c25983ab279d83f3bcd3abbcb5b8b72",
      "library/../other",
      "registry.ollama.ai/someone/llama3.2",
      "other"})
  void modelNamesThatAreNotTheAllowedOneAreRefused(String model) throws Exception {
    for (String endpoint : List.of("/api/chat", "/api/generate")) {
      HttpResponse<String> r = post(endpoint, JSON.createObjectNode().put("model", model).put("stream", false).toString());
      assertThat(r.statusCode()).as("%s with %s", endpoint, model).isEqualTo(403);
      assertThat(r.body()).doesNotContain(KEY);
    }
    assertNothingWentUpstream();
  }

  @ParameterizedTest
  @ValueSource(strings = {"1", "true", "{}", "[\"llama3.2\"]", "null", "{\"name\":\"llama3.2\"}"})
  void aModelThatIsNotAStringIsRefused(String model) throws Exception {
    HttpResponse<String> r = post("/api/chat", "{\"model\":" + model + ",\"stream\":false}");
    assertThat(r.statusCode()).isEqualTo(403);
    HttpResponse<String> missing = post("/api/generate", "{\"name\":\"llama3.2\",\"stream\":false}");
    assertThat(missing.statusCode()).isEqualTo(403);
    assertNothingWentUpstream();
  }

  @Test
  void duplicateKeysAtAnyDepthAreRefused() throws Exception {
    assertThat(post("/api/chat", "{\"model\":\"llama3.2\",\"model\":\"other\"}").statusCode()).isEqualTo(400);
    assertThat(post("/api/generate",
        "{\"model\":\"llama3.2\",\"options\":{\"num_predict\":1,\"num_predict\":99999}}").statusCode()).isEqualTo(400);
    assertNothingWentUpstream();
  }

  /** Numbers beyond a long would reach Ollama as a float64 whose conversion to int can go negative. */
  @ParameterizedTest
  @ValueSource(strings = {"-1", "-2", "6", "2147483648", "18446744073709551619", "-18446744073709551619",
      "99999999999999999999999999999999999999"})
  void numPredictAboveTheCapOrUnlimitedBecomesTheCap(String value) throws Exception {
    HttpResponse<String> r = post("/api/generate",
        "{\"model\":\"llama3.2\",\"prompt\":\"p\",\"stream\":false,\"options\":{\"num_predict\":" + value + "}}");
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(lastUpstream().body()).contains("\"num_predict\":5").doesNotContain(value);
  }

  @ParameterizedTest
  @ValueSource(strings = {"\"options\":{\"num_predict\":1e9}", "\"options\":{\"num_predict\":5.5}",
      "\"options\":{\"num_predict\":\"99\"}", "\"options\":[]", "\"options\":\"num_predict=99\"",
      "\"options\":{\"num_predict\":[1]}"})
  void numPredictThatIsNotAPlainIntegerIsRefused(String options) throws Exception {
    HttpResponse<String> r = post("/api/generate", "{\"model\":\"llama3.2\",\"prompt\":\"p\"," + options + "}");
    assertThat(r.statusCode()).isEqualTo(400);
    assertNothingWentUpstream();
  }

  @Test
  void optionNamesOllamaDoesNotKnowDoNotReplaceTheCap() throws Exception {
    post("/api/generate", "{\"model\":\"llama3.2\",\"prompt\":\"p\",\"stream\":false,"
        + "\"options\":{\"NUM_PREDICT\":99999,\"num_predict \":99999}}");
    assertThat(lastUpstream().bodyJson().get("options").get("num_predict").asInt()).isEqualTo(5);
  }

  @Test
  void aBodyAnnouncedLargerThanTheLimitIsRefusedBeforeItIsRead() throws Exception {
    try (Socket socket = new Socket("127.0.0.1", port())) {
      socket.setSoTimeout(10_000);
      OutputStream out = socket.getOutputStream();
      out.write(("POST /ollama/api/generate HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
          + "Content-Length: 1073741824\r\n\r\n{\"model\":\"llama3.2\"").getBytes(StandardCharsets.US_ASCII));
      out.flush();
      assertThat(statusLine(socket.getInputStream())).isEqualTo("HTTP/1.1 413 ");
    }
    assertNothingWentUpstream();
  }

  @Test
  void aContentLengthShorterThanTheBodyCutsTheBodyWhereItSays() throws Exception {
    String body = "{\"model\":\"llama3.2\",\"prompt\":\"p\"}{\"model\":\"other\"}";
    try (Socket socket = new Socket("127.0.0.1", port())) {
      socket.setSoTimeout(10_000);
      socket.getOutputStream().write(("POST /ollama/api/generate HTTP/1.1\r\nHost: localhost\r\n"
          + "Content-Type: application/json\r\nContent-Length: 20\r\n\r\n" + body).getBytes(StandardCharsets.US_ASCII));
      assertThat(statusLine(socket.getInputStream())).isEqualTo("HTTP/1.1 400 ");
    }
    assertNothingWentUpstream();
  }

  /**
   * A chunked body far over the limit: the gateway answers 413 after reading about the limit, and
   * the sender cannot push more than socket buffers' worth before the connection is closed.
   */
  @Test
  void anOversizedChunkedBodyIsRefusedWithoutBeingReadWhole() throws Exception {
    long total = 512L * 1024 * 1024;
    AtomicLong sent = new AtomicLong();
    try (Socket socket = new Socket("127.0.0.1", port())) {
      socket.setSoTimeout(20_000);
      OutputStream out = socket.getOutputStream();
      out.write(("POST /ollama/api/generate HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
          + "Transfer-Encoding: chunked\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
      Thread sender = new Thread(() -> {
        byte[] chunk = ("10000\r\n" + "x".repeat(0x10000) + "\r\n").getBytes(StandardCharsets.US_ASCII);
        try {
          while (sent.get() < total) {
            out.write(chunk);
            sent.addAndGet(0x10000);
          }
        } catch (IOException closedByTheGateway) {
          // expected: the gateway closes the connection after its 413
        }
      });
      sender.start();
      assertThat(statusLine(socket.getInputStream())).isEqualTo("HTTP/1.1 413 ");
      sender.join(20_000);
      assertThat(sender.isAlive()).as("the gateway closed the connection").isFalse();
    }
    assertThat(sent.get()).as("bytes the gateway let the browser send").isLessThan(32L * 1024 * 1024);
    assertNothingWentUpstream();
  }

  @Test
  void anUpstreamErrorThatEchoesTheKeyReachesTheBrowserRedacted() throws Exception {
    OLLAMA.enqueue(Fault.status(400, "{\"error\":\"invalid header X-API-Key: " + KEY + "\"}"));
    HttpResponse<String> r = post("/api/chat", "{\"model\":\"llama3.2\",\"stream\":false}");
    assertThat(r.statusCode()).isEqualTo(400);
    assertThat(r.body()).doesNotContain(KEY).contains("invalid header X-API-Key");
    assertThat(r.headers().map().toString()).doesNotContain(KEY);
  }

  private static String statusLine(InputStream in) throws IOException {
    StringBuilder line = new StringBuilder();
    int c;
    while ((c = in.read()) != -1 && c != '\r' && line.length() < 13) {
      line.append((char) c);
    }
    return line.toString();
  }
}
