package dev.keyway.startertests;

import static org.assertj.core.api.Assertions.assertThat;

import dev.keyway.ollama.OllamaClient;
import dev.keyway.ollama.testkit.OllamaStandIn;
import dev.keyway.ollama.testkit.ScriptedModel;
import io.micrometer.core.instrument.MeterRegistry;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.SpringBootVersion;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.core.env.Environment;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * A real application context on this module's Spring Boot line, with the versions of OkHttp and
 * the Kotlin standard library that line's dependency management selects.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
    properties = "management.endpoint.health.show-details=always")
class BootLineTest {
  static final String KEY = "kw-secret-bootline-" + Long.toHexString(System.nanoTime());
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
  @Autowired OllamaClient client;
  @Autowired MeterRegistry meters;

  String get(String path) throws Exception {
    HttpResponse<String> response = HttpClient.newHttpClient().send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:"
            + environment.getProperty("local.server.port") + path)).build(),
        HttpResponse.BodyHandlers.ofString());
    assertThat(response.statusCode()).as(path).isEqualTo(200);
    return response.body();
  }

  @Test
  void routeCallsTheProtectedOllamaWithTheServerSideKey() throws Exception {
    assertThat(get("/ask?q=why")).isEqualTo("Rayleigh scattering.");
    assertThat(OLLAMA.takeRequest().header("X-API-Key")).isEqualTo(KEY);
  }

  @Test
  void healthEndpointReportsOllamaUpWithoutTheKey() throws Exception {
    String health = get("/actuator/health");
    assertThat(health).contains("\"ollama\"").contains("\"version\"").contains("\"UP\"").doesNotContain(KEY);
  }

  @Test
  void metricsAreRecorded() throws Exception {
    get("/ask?q=metrics");
    assertThat(meters.get("ollama.client.requests").tag("outcome", "success").timer().count()).isPositive();
  }

  @Test
  void runsOnTheVersionsThisBootLineSelects() {
    String line = "Spring Boot " + SpringBootVersion.getVersion() + ", OkHttp " + okhttp3.OkHttp.VERSION
        + ", kotlin-stdlib " + kotlin.KotlinVersion.CURRENT + ", Jackson "
        + com.fasterxml.jackson.databind.cfg.PackageVersion.VERSION;
    System.out.println("[boot-line] " + line);
    String expectedBoot = System.getProperty("expected.boot.line");
    assertThat(SpringBootVersion.getVersion()).startsWith(expectedBoot);
    assertThat(okhttp3.OkHttp.VERSION).isEqualTo(System.getProperty("expected.okhttp"));
    assertThat(kotlin.KotlinVersion.CURRENT.toString()).isEqualTo(System.getProperty("expected.kotlin"));
  }
}
