package dev.keyway.startertests;

import static org.assertj.core.api.Assertions.assertThat;

import dev.keyway.ollama.spring.gateway.CallerUsage;
import dev.keyway.ollama.spring.gateway.OllamaUsageLimits;
import dev.keyway.ollama.testkit.OllamaStandIn;
import dev.keyway.ollama.testkit.ScriptedModel;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.core.env.Environment;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * The gateway's usage limits on this module's Spring Boot line: the {@code ollamaLimits} health
 * component (each line has its own health API), a 429 from the request bucket, and the usage query.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT, properties = {
    "management.endpoint.health.show-details=always", "ollama.gateway.enabled=true",
    "ollama.limits.enabled=true", "ollama.limits.requests.capacity=2", "ollama.limits.requests.period=1h"})
class LimitsBootLineTest {
  static final String KEY = "kw-secret-limits-line-" + Long.toHexString(System.nanoTime());
  static final OllamaStandIn OLLAMA = OllamaStandIn.builder().requireApiKey(KEY)
      .model(ScriptedModel.named("llama3.2").answer("Rayleigh scattering.")).build();
  static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

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
  @Autowired OllamaUsageLimits limits;

  HttpResponse<String> send(HttpRequest.Builder request) throws Exception {
    return HTTP.send(request.timeout(Duration.ofSeconds(20)).build(), HttpResponse.BodyHandlers.ofString());
  }

  URI uri(String path) {
    return URI.create("http://127.0.0.1:" + environment.getProperty("local.server.port") + path);
  }

  @Test
  void healthShowsTheLocalStore() throws Exception {
    HttpResponse<String> health = send(HttpRequest.newBuilder(uri("/actuator/health/ollamaLimits")));
    assertThat(health.statusCode()).isEqualTo(200);
    assertThat(health.body()).contains("\"UP\"").contains("\"store\":\"local\"").doesNotContain(KEY);
  }

  @Test
  void theThirdCallFromOneAddressIsRefusedWithA429AndTheUsageQuerySaysNoneIsLeft() throws Exception {
    String chat = "{\"model\":\"llama3.2\",\"stream\":false,\"messages\":[{\"role\":\"user\",\"content\":\"why\"}]}";
    for (int i = 0; i < 2; i++) {
      HttpResponse<String> ok = send(HttpRequest.newBuilder(uri("/ollama/api/chat"))
          .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(chat)));
      assertThat(ok.statusCode()).as(ok.body()).isEqualTo(200);
    }
    HttpResponse<String> refused = send(HttpRequest.newBuilder(uri("/ollama/api/chat"))
        .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(chat)));
    assertThat(refused.statusCode()).isEqualTo(429);
    assertThat(refused.headers().firstValue("Retry-After").orElseThrow()).matches("[1-9][0-9]*");
    assertThat(refused.body()).startsWith("{\"error\":");
    assertThat(limits.usage("address:127.0.0.1")).isEqualTo(new CallerUsage(0L, null, 0));
  }
}
