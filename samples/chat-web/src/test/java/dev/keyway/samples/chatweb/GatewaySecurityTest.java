package dev.keyway.samples.chatweb;

import static dev.keyway.samples.chatweb.Http.assertNoKey;
import static org.assertj.core.api.Assertions.assertThat;

import dev.keyway.ollama.testkit.OllamaStandIn;
import dev.keyway.ollama.testkit.RecordedRequest;
import java.net.http.HttpResponse;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/** Keyway's gateway is on under /ollama and only a signed-in user gets through. */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT, properties = "keyway.demo=false")
class GatewaySecurityTest {
  static final String KEY = Http.newKey("kw-secret-gateway-");
  static final OllamaStandIn OLLAMA = OllamaStandIn.builder().requireApiKey(KEY).build();

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
  @Autowired SecurityConfig.GatewayLogin login;

  String url(String path) {
    return "http://127.0.0.1:" + port + path;
  }

  @Test
  void withoutCredentialsTheGatewayIs401AndNothingGoesUpstream() {
    int before = OLLAMA.requestCount();

    HttpResponse<String> response = Http.get(url("/ollama/api/tags"));

    assertThat(response.statusCode()).isEqualTo(401);
    assertThat(response.headers().firstValue("WWW-Authenticate")).hasValueSatisfying(
        challenge -> assertThat(challenge).startsWith("Basic"));
    assertThat(OLLAMA.requestCount()).isEqualTo(before);
    assertNoKey(response, KEY);
  }

  @Test
  void aWrongPasswordIs401() {
    HttpResponse<String> response = Http.basicGet(url("/ollama/api/tags"), login.username(), "not-" + login.password());

    assertThat(response.statusCode()).isEqualTo(401);
  }

  @Test
  void theSignedInUserGetsOllamasAnswerWithTheServerSideKeyAddedUpstream() {
    HttpResponse<String> response = Http.basicGet(url("/ollama/api/tags"), login.username(), login.password());

    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(Http.parse(response.body())).containsKey("models");
    assertThat(response.body()).contains("\"llama3.2:latest\"");
    assertNoKey(response, KEY);
    List<RecordedRequest> requests = OLLAMA.requests();
    RecordedRequest upstream = requests.get(requests.size() - 1);
    assertThat(upstream.path()).isEqualTo("/api/tags");
    assertThat(upstream.header("X-API-Key")).isEqualTo(KEY);
    assertThat(upstream.header("Authorization")).as("the user's own credentials stay here").isNull();
  }

  @Test
  void thePageAndItsOwnRoutesStayOpenForTheDemo() {
    assertThat(Http.get(url("/")).statusCode()).isEqualTo(200);
    assertThat(Http.get(url("/api/info")).statusCode()).isEqualTo(200);
    assertThat(Http.postJson(url("/api/chat"), Http.chatBody(null, "hi")).statusCode()).isEqualTo(200);
  }
}
