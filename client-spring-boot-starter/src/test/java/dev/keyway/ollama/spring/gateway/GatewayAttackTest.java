package dev.keyway.ollama.spring.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
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

/**
 * What a hostile browser can try against the gateway: smuggling a model past the allow-list,
 * lifting the {@code num_predict} cap, oversized or lying bodies, and fishing for the upstream key.
 * Every refusal must happen before anything is sent upstream.
 */
@SpringBootTest(classes = GatewayFixture.App.class, webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
    properties = {"ollama.gateway.enabled=true", "ollama.gateway.allowed-models=llama3.2",
        "ollama.gateway.max-num-predict=5", "ollama.gateway.max-request-size=64KB",
})
class GatewayAttackTest extends GatewayFixture {
  static final String KEY = "kw-secret-gateway-attack";
  @AutoClose static final OllamaStandIn OLLAMA = OllamaStandIn.builder().requireApiKey(KEY)
      .model(ScriptedModel.named("llama3.2").answer("Blue."))
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

  void assertNothingWentUpstream() {
    assertThat(OLLAMA.requestCount()).as("requests that reached Ollama").isEqualTo(upstreamBefore);
  }

  RecordedRequest lastUpstream() {
    return lastRequest(OLLAMA);
  }

  /** Go's encoding/json matches field names case-insensitively, with 'ſ' = 's' and 'K' = 'k'. */
  @ParameterizedTest
  @ValueSource(strings = {
      "{\"model\":\"llama3.2\",\"MODEL\":\"other\",\"stream\":false}",
      "{\"Model\":\"other\",\"stream\":false}",
      "{\"model\":\"llama3.2\",\"Options\":{\"num_predict\":-1},\"stream\":false}",
      "{\"model\":\"llama3.2\",\"option\u017f\":{\"num_predict\":-1},\"stream\":false}",
      "{\"model\":\"llama3.2\",\"\u212Aeep_alive\":-1,\"stream\":false}",
      "{\"model\":\"llama3.2\",\"Stream\":true,\"stream\":false}",
      "{\"model\":\"llama3.2\",\"KEEP_ALIVE\":-1,\"stream\":false}",
      "{\"model\":\"llama3.2\",\"_Debug_Render_Only\":true,\"stream\":false}",
      "{\"model\":\"llama3.2\",\"\u017Fhift\":false,\"stream\":false}",
      "{\"model\":\"llama3.2\",\"Format\":\"json\",\"stream\":false}"})
  void fieldNamesThatGoWouldFoldOntoOllamasAreRefused(String body) throws Exception {
    for (String endpoint : List.of("/api/chat", "/api/generate")) {
      HttpResponse<String> r = post(endpoint, body);
      assertThat(r.statusCode()).as(endpoint).isEqualTo(400);
      assertThat(JSON.readTree(r.body()).get("error").asText()).contains("must be spelled");
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
  @ValueSource(strings = {"\"options\":{\"num_predict\":\"99\"}", "\"options\":[]", "\"options\":\"num_predict=99\"",
      "\"options\":{\"num_predict\":[1]}", "\"options\":{\"num_predict\":true}", "\"options\":{\"num_predict\":{}}"})
  void numPredictThatIsNotANumberIsRefused(String options) throws Exception {
    HttpResponse<String> r = post("/api/generate", "{\"model\":\"llama3.2\",\"prompt\":\"p\"," + options + "}");
    assertThat(r.statusCode()).isEqualTo(400);
    assertNothingWentUpstream();
  }

  /**
   * Every JSON spelling of a number, read as Ollama reads it (Go float64, then int64 truncating
   * toward zero): only 1..cap passes, as that integer; 0 in any spelling, negatives, fractions
   * below 1 and anything beyond int64 become the cap.
   */
  @ParameterizedTest
  @ValueSource(strings = {"0|5", "-0|5", "0.0|5", "-0.0|5", "0e0|5", "0E+7|5", "0.5|5", "0.999999|5",
      "1e2|5", "1E2|5", "100e-2|1", "1e0|1", "2.5|2", "3|3", "5.99|5", "5|5", "6|5", "1e400|5",
      "-1e400|5", "9.3e18|5", "1e19|5", "-9223372036854775809|5", "-9223372036854775808|5",
      "-0.5|5", "-1|5", "null|5", "4.000000000000000000001|4"})
  void numPredictInEverySpellingGoAcceptsMeansAtMostTheCap(String valueAndExpected) throws Exception {
    String[] parts = valueAndExpected.split("\\|");
    for (String endpoint : List.of("/api/generate", "/api/chat")) {
      HttpResponse<String> r = post(endpoint, "{\"model\":\"llama3.2\",\"prompt\":\"p\",\"stream\":false,"
          + "\"options\":{\"num_predict\":" + parts[0] + "}}");
      assertThat(r.statusCode()).as(endpoint).isEqualTo(200);
      JsonNode sent = lastUpstream().bodyJson().get("options").get("num_predict");
      assertThat(sent.isIntegralNumber()).as(sent.toString()).isTrue();
      assertThat(sent.asLong()).as("%s: %s", endpoint, parts[0]).isEqualTo(Long.parseLong(parts[1]));
    }
  }

  /** Options that load, place or size a model are refused by name; nothing goes upstream. */
  @ParameterizedTest
  @ValueSource(strings = {"num_ctx|131072", "num_gpu|0", "num_batch|1", "use_mmap|false", "num_thread|1",
      "main_gpu|1", "numa|true", "low_vram|true", "num_keep|100", "draft_num_predict|64", "use_mlock|true"})
  void optionsThatControlLoadingOrMemoryAreRefused(String optionAndValue) throws Exception {
    String[] parts = optionAndValue.split("\\|");
    for (String endpoint : List.of("/api/generate", "/api/chat", "/api/embed")) {
      HttpResponse<String> r = post(endpoint, "{\"model\":\"llama3.2\",\"prompt\":\"p\",\"input\":\"x\","
          + "\"options\":{\"temperature\":0.1,\"" + parts[0] + "\":" + parts[1] + "}}");
      assertThat(r.statusCode()).as(endpoint).isEqualTo(400);
      assertThat(JSON.readTree(r.body()).get("error").asText()).contains("'" + parts[0] + "'");
    }
    assertNothingWentUpstream();
  }

  /** Top-level fields that control the server, the runner or the template are refused by name. */
  @ParameterizedTest
  @ValueSource(strings = {"/api/chat|_debug_render_only|true", "/api/generate|_debug_render_only|true",
      "/api/chat|shift|false", "/api/chat|truncate|false", "/api/generate|raw|true",
      "/api/generate|template|\"{{ .System }}\"", "/api/generate|context|[1,2,3]", "/api/embed|truncate|false",
      "/api/show|verbose|true", "/api/show|system|\"x\"", "/api/show|options|{}", "/api/show|name|\"llama3.2\""})
  void fieldsThatControlTheServerAreRefused(String endpointFieldValue) throws Exception {
    String[] parts = endpointFieldValue.split("\\|", 3);
    HttpResponse<String> r = post(parts[0], "{\"model\":\"llama3.2\",\"prompt\":\"p\",\"input\":\"x\",\""
        + parts[1] + "\":" + parts[2] + "}");
    assertThat(r.statusCode()).isEqualTo(400);
    assertThat(JSON.readTree(r.body()).get("error").asText()).contains("'" + parts[1] + "'");
    assertNothingWentUpstream();
  }

  /** Ollama's own default values of a refused field mean "absent": accepted, and not sent. */
  @Test
  void aRefusedFieldAtOllamasDefaultIsDroppedNotRefused() throws Exception {
    HttpResponse<String> r = post("/api/generate", "{\"model\":\"llama3.2\",\"prompt\":\"p\",\"stream\":false,"
        + "\"raw\":false,\"truncate\":true,\"shift\":true,\"template\":\"\",\"context\":[],\"keep_alive\":null}");
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(lastUpstream().bodyJson().fieldNames()).toIterable()
        .containsExactlyInAnyOrder("model", "prompt", "stream", "options");
  }

  /**
   * {@code keep_alive} as Ollama reads it (seconds, or a Go duration) is clamped into
   * [1m, 5m] by default: -1 (pin forever) and 0 (evict for everyone) never pass.
   */
  @ParameterizedTest
  @ValueSource(strings = {"-1|300000ms", "-1e9|300000ms", "\"-1m\"|300000ms", "\"-0.5h\"|300000ms",
      "0|60000ms", "-0|60000ms", "0.0|60000ms", "\"0\"|60000ms", "\"0s\"|60000ms", "1e-9|60000ms",
      "\"1ns\"|60000ms", "0.5|60000ms", "120|120000ms", "120.0004|120001ms", "\"2m30s\"|150000ms",
      "\"1.5m\"|90000ms", "\"+3m\"|180000ms", "\"1h\"|300000ms", "1e400|300000ms", "\"300000000s\"|300000ms",
      "\"\u00b5s\"|BAD", "\"300\"|BAD", "\"5 m\"|BAD", "\"m\"|BAD", "\"\"|BAD", "true|BAD", "{}|BAD", "[]|BAD"})
  void keepAliveIsClampedIntoItsBounds(String valueAndExpected) throws Exception {
    int bar = valueAndExpected.lastIndexOf('|');
    String value = valueAndExpected.substring(0, bar);
    String expected = valueAndExpected.substring(bar + 1);
    for (String endpoint : List.of("/api/generate", "/api/chat", "/api/embed")) {
      HttpResponse<String> r = post(endpoint, "{\"model\":\"llama3.2\",\"prompt\":\"p\",\"input\":\"x\","
          + "\"stream\":false,\"keep_alive\":" + value + "}");
      if (expected.equals("BAD")) {
        assertThat(r.statusCode()).as("%s %s", endpoint, value).isEqualTo(400);
        assertThat(r.body()).contains("keep_alive");
      } else {
        assertThat(r.statusCode()).as("%s %s", endpoint, value).isEqualTo(200);
        assertThat(lastUpstream().bodyJson().get("keep_alive").asText()).as(value).isEqualTo(expected);
      }
    }
  }

  /**
   * Fields Ollama does not read at all (ollama4j's {@code useTools}) are dropped, not refused:
   * upstream gets only what the checks saw.
   */
  @Test
  void fieldsOllamaDoesNotReadAreDropped() throws Exception {
    HttpResponse<String> r = post("/api/chat", "{\"model\":\"llama3.2\",\"stream\":false,\"useTools\":true,"
        + "\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"x-model\":\"other\",\"models\":[\"other\"],"
        + "\"options\":{\"NUM_CTX\":1,\"mirostat_x\":2,\"temperature\":0.5}}");
    assertThat(r.statusCode()).isEqualTo(200);
    JsonNode sent = lastUpstream().bodyJson();
    assertThat(sent.fieldNames()).toIterable().containsExactlyInAnyOrder("model", "stream", "messages", "options");
    assertThat(sent.get("options").fieldNames()).toIterable().containsExactlyInAnyOrder("temperature", "num_predict");
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
