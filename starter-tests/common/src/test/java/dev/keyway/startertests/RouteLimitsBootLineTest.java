package dev.keyway.startertests;

import static org.assertj.core.api.Assertions.assertThat;

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
 * {@code ollama.limits.routes} on this module's Spring Boot line: the application's own {@code /ask}
 * is charged the tokens of its client call, and the next request is refused with a 429.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT, properties = {
    "ollama.limits.enabled=true", "ollama.limits.routes=/ask", "ollama.limits.tokens.capacity=5",
    "ollama.limits.tokens.period=1h"})
class RouteLimitsBootLineTest {
  static final OllamaStandIn OLLAMA = OllamaStandIn.builder()
      .model(ScriptedModel.named("llama3.2").answer("Rayleigh scattering.")).build();

  @DynamicPropertySource
  static void ollama(DynamicPropertyRegistry registry) {
    registry.add("ollama.base-url", OLLAMA::baseUrl);
  }

  @AfterAll
  static void stop() {
    OLLAMA.close();
  }

  @Autowired Environment environment;

  HttpResponse<String> get(String path) throws Exception {
    return HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:"
            + environment.getProperty("local.server.port") + path)).timeout(Duration.ofSeconds(20)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void aRouteCallsTokensRefuseTheNextRequestAndOtherPathsAreFree() throws Exception {
    assertThat(get("/ask?q=why").statusCode()).isEqualTo(200); // more than 5 tokens: charged after
    HttpResponse<String> next = get("/ask?q=again");
    assertThat(next.statusCode()).as(next.body()).isEqualTo(429);
    assertThat(next.headers().firstValue("Retry-After").orElseThrow()).matches("[1-9][0-9]*");
    assertThat(next.body()).startsWith("{\"error\":\"token quota used up");
    assertThat(get("/actuator/health").statusCode()).isEqualTo(200);
  }
}
