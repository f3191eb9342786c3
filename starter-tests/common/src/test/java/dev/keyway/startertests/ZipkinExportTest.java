package dev.keyway.startertests;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import dev.keyway.ollama.testkit.OllamaStandIn;
import dev.keyway.ollama.testkit.RecordedRequest;
import dev.keyway.ollama.testkit.ScriptedModel;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.SpringBootVersion;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.core.env.Environment;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * A real application on this Boot line with Micrometer Tracing's OpenTelemetry bridge and
 * OpenTelemetry's Zipkin exporter, wired by Boot's own Zipkin auto-configuration, exporting to a
 * Zipkin endpoint this test serves on loopback ({@code POST /api/v2/spans}, JSON). A browser-like
 * request with a {@code traceparent} to the gateway: the gateway's server span and the client span
 * {@code chat llama3.2} arrive with the browser's trace id, the client span a child of the
 * gateway's, with the GenAI attributes and token usage, and the stand-in saw a
 * {@code traceparent} naming the exported client span. A direct call ({@code /ask}) arrives the
 * same way. The key is in no exported byte.
 *
 * <p>The endpoint's property differs by line: {@code management.zipkin.tracing.endpoint} on Boot
 * 3.5, {@code management.tracing.export.zipkin.endpoint} on Boot 4.1 (its {@code spring-boot-zipkin}
 * module). Export is switched off for the other tests of this module in
 * {@code src/test/resources/application.properties} and on here.
 */
@Timeout(60)
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT, properties = {
    "management.tracing.sampling.probability=1.0",
    // Boot 3.5's test support switches tracing off (management.tracing.enabled=false: no
    // propagation) unless told otherwise; Boot 4.1 only switches export off, and reads this too.
    "spring.test.observability.auto-configure=true",
    "ollama.gateway.enabled=true"})
class ZipkinExportTest {
  static final String KEY = "kw-secret-zipkin-" + Long.toHexString(System.nanoTime());
  static final String GATEWAY_TRACE = "4bf92f3577b34da6a3ce929d0e0e4736";
  static final String ASK_TRACE = "0af7651916cd43dd8448eb211c80319c";
  static final String BROWSER_SPAN = "00f067aa0ba902b7";
  static final ObjectMapper JSON = new ObjectMapper();
  static final OllamaStandIn OLLAMA = OllamaStandIn.builder().requireApiKey(KEY)
      .model(ScriptedModel.named("llama3.2").answer("Rayleigh scattering makes the sky blue.")).build();
  static final Zipkin ZIPKIN = Zipkin.start();

  static boolean boot3() {
    return Objects.requireNonNull(SpringBootVersion.getVersion()).startsWith("3.");
  }

  @DynamicPropertySource
  static void properties(DynamicPropertyRegistry registry) {
    registry.add("ollama.base-url", OLLAMA::baseUrl);
    registry.add("ollama.api-key", () -> KEY);
    registry.add("ollama.api-key-header", () -> "X-API-Key");
    if (boot3()) {
      registry.add("management.zipkin.tracing.endpoint", ZIPKIN::endpoint);
      registry.add("management.zipkin.tracing.export.enabled", () -> "true");
      registry.add("management.tracing.opentelemetry.export.schedule-delay", () -> "100ms");
    } else {
      registry.add("management.tracing.export.zipkin.endpoint", ZIPKIN::endpoint);
      registry.add("management.tracing.export.zipkin.enabled", () -> "true");
      registry.add("management.opentelemetry.tracing.export.schedule-delay", () -> "100ms");
    }
  }

  @AfterAll
  static void stop() {
    OLLAMA.close();
    ZIPKIN.close();
  }

  @Autowired Environment environment;
  final HttpClient http = HttpClient.newHttpClient();

  URI uri(String path) {
    return URI.create("http://127.0.0.1:" + environment.getProperty("local.server.port") + path);
  }

  static String traceparent(String trace) {
    return "00-" + trace + "-" + BROWSER_SPAN + "-01";
  }

  @Test
  void theGatewaysSpanAndItsClientSpanArriveInTheBrowsersTraceAndSoDoesADirectCall() throws Exception {
    HttpResponse<String> relayed = http.send(HttpRequest.newBuilder(uri("/ollama/api/chat"))
            .header("Content-Type", "application/json")
            .header("traceparent", traceparent(GATEWAY_TRACE))
            .POST(HttpRequest.BodyPublishers.ofString(
                "{\"model\":\"llama3.2\",\"messages\":[{\"role\":\"user\",\"content\":\"why?\"}],\"stream\":true}"))
            .timeout(Duration.ofSeconds(20)).build(),
        HttpResponse.BodyHandlers.ofString());
    assertThat(relayed.statusCode()).isEqualTo(200);
    assertThat(relayed.body()).contains("\"done\":true");

    HttpResponse<String> asked = http.send(HttpRequest.newBuilder(uri("/ask?q=why"))
            .header("traceparent", traceparent(ASK_TRACE)).timeout(Duration.ofSeconds(20)).build(),
        HttpResponse.BodyHandlers.ofString());
    assertThat(asked.statusCode()).isEqualTo(200);

    // The exporter sends in batches, off the request thread: a bounded wait for both client spans.
    await().atMost(Duration.ofSeconds(15)).pollInterval(Duration.ofMillis(50)).untilAsserted(() ->
        assertThat(clientSpan(GATEWAY_TRACE) != null && clientSpan(ASK_TRACE) != null
            && serverSpan(GATEWAY_TRACE) != null && serverSpan(ASK_TRACE) != null)
            .as("both traces' server and client spans among those received: %s", received()).isTrue());

    // The gateway: the browser's trace, its server span a child of the browser's span, the client
    // span a child of the gateway's.
    JsonNode gateway = serverSpan(GATEWAY_TRACE);
    JsonNode relayedCall = clientSpan(GATEWAY_TRACE);
    assertThat(gateway.path("parentId").asText()).isEqualTo(BROWSER_SPAN);
    assertThat(gateway.path("tags").toString()).contains("/ollama");
    assertThat(relayedCall.path("parentId").asText()).isEqualTo(gateway.path("id").asText());
    assertGenAi(relayedCall);

    // The stand-in saw a traceparent naming the exported client span, in the browser's trace.
    assertThat(upstreamTraceparents())
        .contains("00-" + GATEWAY_TRACE + "-" + relayedCall.path("id").asText() + "-01");

    // A direct call, from the application's own route.
    JsonNode ask = serverSpan(ASK_TRACE);
    JsonNode directCall = clientSpan(ASK_TRACE);
    assertThat(ask.path("parentId").asText()).isEqualTo(BROWSER_SPAN);
    assertThat(directCall.path("parentId").asText()).isEqualTo(ask.path("id").asText());
    assertGenAi(directCall);
    assertThat(upstreamTraceparents())
        .contains("00-" + ASK_TRACE + "-" + directCall.path("id").asText() + "-01");

    // The key is in no byte that reached Zipkin, in any letter case.
    assertThat(ZIPKIN.posts).isNotEmpty()
        .allSatisfy(raw -> assertThat(raw.toLowerCase(Locale.ROOT)).doesNotContain(KEY.toLowerCase(Locale.ROOT)));
  }

  static void assertGenAi(JsonNode span) {
    JsonNode tags = span.path("tags");
    assertThat(span.path("name").asText()).isEqualTo("chat llama3.2");
    assertThat(tags.path("gen_ai.operation.name").asText()).isEqualTo("chat");
    assertThat(tags.path("gen_ai.provider.name").asText()).isEqualTo("ollama");
    assertThat(tags.path("gen_ai.request.model").asText()).isEqualTo("llama3.2");
    assertThat(tags.path("gen_ai.response.model").asText()).isEqualTo("llama3.2");
    assertThat(tags.path("gen_ai.usage.input_tokens").asText()).matches("[1-9][0-9]*");
    assertThat(tags.path("gen_ai.usage.output_tokens").asText()).matches("[1-9][0-9]*");
    assertThat(tags.path("gen_ai.response.finish_reasons").asText()).isEqualTo("stop");
    assertThat(tags.has("error.type")).as("error.type on a successful call").isFalse();
    assertThat(tags.path("server.address").asText()).isEqualTo("127.0.0.1");
  }

  /** What Zipkin received so far, one line per span, for a failure message. */
  static String received() {
    StringBuilder out = new StringBuilder().append(ZIPKIN.posts.size()).append(" posts");
    for (JsonNode span : ZIPKIN.spans) {
      out.append("\n  ").append(span.path("traceId").asText()).append(' ').append(span.path("kind").asText())
          .append(' ').append(span.path("name").asText()).append(" id=").append(span.path("id").asText())
          .append(" parent=").append(span.path("parentId").asText());
    }
    return out.toString();
  }

  static List<String> upstreamTraceparents() {
    List<String> values = new ArrayList<>();
    for (RecordedRequest r : OLLAMA.requests()) {
      String value = r.header("traceparent");
      if (value != null) {
        values.add(value);
      }
    }
    return values;
  }

  static JsonNode clientSpan(String trace) {
    return span(trace, "CLIENT", "chat llama3.2");
  }

  static JsonNode serverSpan(String trace) {
    return span(trace, "SERVER", null);
  }

  /** The one exported span of {@code trace} of that kind (and name), or null while none is. */
  static JsonNode span(String trace, String kind, String name) {
    JsonNode found = null;
    for (JsonNode span : ZIPKIN.spans) {
      if (trace.equals(span.path("traceId").asText()) && kind.equals(span.path("kind").asText())
          && (name == null || name.equals(span.path("name").asText()))) {
        assertThat(found).as("a second " + kind + " span in trace " + trace).isNull();
        found = span;
      }
    }
    return found;
  }

  /** Zipkin's span intake, as a loopback HTTP server: keeps each raw POST and its spans. */
  static final class Zipkin implements AutoCloseable {
    final List<String> posts = new CopyOnWriteArrayList<>();
    final List<JsonNode> spans = new CopyOnWriteArrayList<>();
    private final HttpServer server;

    private Zipkin(HttpServer server) {
      this.server = server;
    }

    static Zipkin start() {
      try {
        HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        Zipkin zipkin = new Zipkin(server);
        server.createContext("/api/v2/spans", exchange -> {
          try (exchange) {
            if (!"POST".equals(exchange.getRequestMethod())) {
              exchange.sendResponseHeaders(405, -1);
              return;
            }
            InputStream in = exchange.getRequestBody();
            if ("gzip".equalsIgnoreCase(exchange.getRequestHeaders().getFirst("Content-Encoding"))) {
              in = new GZIPInputStream(in);
            }
            String raw = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            zipkin.posts.add(raw);
            JsonNode list = JSON.readTree(raw);
            list.forEach(zipkin.spans::add);
            exchange.sendResponseHeaders(202, -1);
          }
        });
        server.start();
        return zipkin;
      } catch (IOException e) {
        throw new IllegalStateException("cannot start the Zipkin stand-in", e);
      }
    }

    String endpoint() {
      return "http://127.0.0.1:" + server.getAddress().getPort() + "/api/v2/spans";
    }

    @Override
    public void close() {
      server.stop(0);
    }
  }
}
