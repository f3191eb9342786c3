package dev.keyway.samples.chatweb;

import static org.assertj.core.api.Assertions.assertThat;

import dev.keyway.ollama.testkit.OllamaStandIn;
import dev.keyway.ollama.testkit.ScriptedModel;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.core.env.Environment;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/** The server-side route and the protected gateway, over HTTP. */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT, properties = "keyway.demo=false")
class ChatRouteTest {
  static final String KEY = "sk-route-4242";
  static final OllamaStandIn OLLAMA = OllamaStandIn.builder().requireApiKey(KEY)
      .model(ScriptedModel.named("llama3.2").thinking("Hmm").answer("Blue wins.")).build();

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
  final HttpClient http = HttpClient.newHttpClient();

  HttpResponse<String> chat(String prompt) throws Exception {
    return http.send(HttpRequest.newBuilder(URI.create(base() + "/api/chat"))
        .header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString("{\"prompt\":\"" + prompt + "\"}")).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  String base() {
    return "http://127.0.0.1:" + environment.getProperty("local.server.port");
  }

  @Test
  void streamsThinkingThenContentThenDone() throws Exception {
    HttpResponse<String> r = chat("why");
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.body()).contains("{\"type\":\"thinking\",\"text\":\"Hmm\"}")
        .contains("\"type\":\"content\"").contains("\"type\":\"done\"").doesNotContain(KEY);
    assertThat(r.headers().map().toString()).doesNotContain(KEY);
    assertThat(OLLAMA.requests().get(OLLAMA.requests().size() - 1).header("X-API-Key")).isEqualTo(KEY);
  }

  @Test
  void infoIsNotDemoAndHasNoKey() throws Exception {
    HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(base() + "/api/info")).build(),
        HttpResponse.BodyHandlers.ofString());
    assertThat(r.body()).contains("\"demo\":false").contains(OLLAMA.baseUrl()).doesNotContain(KEY);
  }

  @Test
  void gatewayNeedsASignedInUser() throws Exception {
    HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(base() + "/ollama/api/tags")).build(),
        HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).isEqualTo(401);
  }
}
