package dev.keyway.startertests;

import static org.assertj.core.api.Assertions.assertThat;

import dev.keyway.ollama.testkit.OllamaStandIn;
import dev.keyway.ollama.testkit.RecordedRequest;
import dev.keyway.ollama.testkit.ScriptedModel;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.core.env.Environment;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * A real Boot 4 application with Micrometer Tracing's OpenTelemetry bridge: the browser's trace
 * continues through the application into the upstream call, so the stand-in sees a
 * {@code traceparent} carrying the browser's trace id (and a span id of the client span, not the
 * browser's).
 */
@Timeout(60)
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
    properties = "management.tracing.sampling.probability=1.0")
class TracingBridgeTest {
  static final String KEY = "kw-secret-tracing-" + Long.toHexString(System.nanoTime());
  static final String TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736";
  static final String BROWSER_SPAN = "00f067aa0ba902b7";
  static final OllamaStandIn OLLAMA = OllamaStandIn.builder().requireApiKey(KEY)
      .model(ScriptedModel.named("llama3.2").answer("Rayleigh scattering.")).build();

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

  @Autowired Environment environment;

  @Test
  void upstreamCallCarriesTheTraceOfTheIncomingRequest() throws Exception {
    HttpResponse<String> response = HttpClient.newHttpClient().send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:"
                + environment.getProperty("local.server.port") + "/ask?q=why"))
            .header("traceparent", "00-" + TRACE_ID + "-" + BROWSER_SPAN + "-01")
            .timeout(Duration.ofSeconds(30)).build(),
        HttpResponse.BodyHandlers.ofString());
    assertThat(response.statusCode()).isEqualTo(200);

    RecordedRequest upstream = OLLAMA.takeRequest(Duration.ofSeconds(10));
    assertThat(upstream).isNotNull();
    assertThat(upstream.path()).isEqualTo("/api/chat");
    String traceparent = upstream.header("traceparent");
    assertThat(traceparent).matches("00-" + TRACE_ID + "-[0-9a-f]{16}-01");
    assertThat(traceparent).doesNotContain(BROWSER_SPAN);
    assertThat(upstream.header("X-API-Key")).isEqualTo(KEY);
  }
}
