package dev.keyway.samples.chatweb;

import static dev.keyway.samples.chatweb.Http.assertNoKey;
import static dev.keyway.samples.chatweb.Http.chatBody;
import static dev.keyway.samples.chatweb.Http.events;
import static org.assertj.core.api.Assertions.assertThat;

import dev.keyway.ollama.testkit.OllamaStandIn;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/** The server's key is wrong: the page is told which setting to check, and sees no key. */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT, properties = "keyway.demo=false")
class WrongKeyTest {
  static final String RIGHT_KEY = Http.newKey("kw-secret-right-");
  static final String WRONG_KEY = Http.newKey("kw-secret-wrong-");
  static final OllamaStandIn OLLAMA = OllamaStandIn.builder().requireApiKey(RIGHT_KEY).build();

  @DynamicPropertySource
  static void ollama(DynamicPropertyRegistry registry) {
    registry.add("ollama.base-url", OLLAMA::baseUrl);
    registry.add("ollama.api-key", () -> WRONG_KEY);
    registry.add("ollama.api-key-header", () -> "X-API-Key");
  }

  @AfterAll
  static void stop() {
    OLLAMA.close();
  }

  @LocalServerPort int port;
  @Autowired SecurityConfig.GatewayLogin login;

  @Test
  void theRouteSaysTheCredentialWasRejectedAndWhatToCheck() {
    HttpResponse<String> response =
        Http.postJson("http://127.0.0.1:" + port + "/api/chat", chatBody(null, "hi"));

    assertThat(response.statusCode()).isEqualTo(502);
    assertThat(events(response)).containsExactly(Map.of("type", "error", "message",
        "The server's Ollama credential was rejected — check ollama.api-key (OLLAMA_API_KEY)"
            + " and ollama.api-key-header (OLLAMA_API_KEY_HEADER)."));
    assertNoKey(response, WRONG_KEY);
    assertNoKey(response, RIGHT_KEY);
    assertThat(OLLAMA.requests().get(OLLAMA.requests().size() - 1).header("X-API-Key")).isEqualTo(WRONG_KEY);
  }

  @Test
  void neitherInfoNorTheGatewayShowTheKey() {
    for (HttpResponse<String> response : List.of(
        Http.get("http://127.0.0.1:" + port + "/api/info"),
        Http.basicGet("http://127.0.0.1:" + port + "/ollama/api/tags", login.username(), login.password()))) {
      assertNoKey(response, WRONG_KEY);
      assertNoKey(response, RIGHT_KEY);
    }
  }
}
