package dev.keyway.ollama;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.keyway.ollama.model.ChatRequest;
import dev.keyway.ollama.model.Fixtures;
import dev.keyway.ollama.model.Message;
import okhttp3.mockwebserver.MockResponse;
import okhttp3.mockwebserver.MockWebServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Status → exception, for unary and streamed calls alike: the status is read before the body. */
class ErrorMappingTest {
  static final String KEY = "kw-secret-4f9a";
  static final ChatRequest CHAT = ChatRequest.builder().model("llama3.2").addMessage(Message.user("hi")).build();

  MockWebServer server;
  OllamaClient client;

  @BeforeEach
  void setUp() throws Exception {
    server = new MockWebServer();
    server.start();
    client = OllamaClient.builder().baseUrl(server.url("/").toString()).apiKey(KEY).maxRetries(0).build();
  }

  @AfterEach
  void tearDown() throws Exception {
    client.close();
    server.shutdown();
  }

  void answer(int status, String contentType, String body) {
    server.enqueue(new MockResponse().setResponseCode(status).setHeader("Content-Type", contentType).setBody(body));
  }

  @Test
  void http400GivesOllamasMessage() {
    answer(400, "application/json; charset=utf-8", Fixtures.read("error-400-think-unsupported.json"));
    assertThatThrownBy(() -> client.chat(CHAT))
        .isExactlyInstanceOf(OllamaHttpException.class)
        .hasMessageStartingWith("HTTP 400 from POST http://")
        .hasMessageContaining("does not support thinking")
        .satisfies(e -> assertThat(((OllamaHttpException) e).serverMessage()).contains("does not support thinking"));
  }

  @Test
  void http401FromCaddyNamesTheHeaderButNeverTheKey() {
    answer(401, "text/plain; charset=utf-8", "Unauthorized");
    assertThatThrownBy(() -> client.chat(CHAT))
        .isInstanceOfSatisfying(OllamaAuthenticationException.class, e -> {
          assertThat(e.status()).isEqualTo(401);
          assertThat(e.serverMessage()).isEqualTo("Unauthorized");
          assertThat(e).hasMessageContaining("header X-API-Key").hasMessageNotContaining(KEY);
        });
  }

  @Test
  void http401WithoutACredentialSaysNoneIsConfigured() throws Exception {
    try (OllamaClient anonymous = OllamaClient.builder().baseUrl(server.url("/").toString()).build()) {
      answer(401, "text/plain", "Unauthorized");
      assertThatThrownBy(anonymous::listModels)
          .isInstanceOf(OllamaAuthenticationException.class)
          .hasMessageContaining("No credential is configured")
          .hasMessageContaining("OLLAMA_API_KEY");
    }
  }

  @Test
  void emptyHttp403MentionsOllamasOriginCheck() {
    answer(403, "text/plain", "");
    assertThatThrownBy(() -> client.chat(CHAT))
        .isInstanceOf(OllamaAuthenticationException.class)
        .hasMessageContaining("(empty body)")
        .hasMessageContaining("OLLAMA_ORIGINS");
  }

  @Test
  void http404AboutAModelIsModelNotFound() {
    answer(404, "application/json; charset=utf-8", Fixtures.read("error-404-model-not-found.json"));
    assertThatThrownBy(() -> client.chat(CHAT))
        .isInstanceOfSatisfying(OllamaModelNotFoundException.class, e -> {
          assertThat(e.model()).isNotBlank();
          assertThat(e).hasMessageContaining("ollama pull");
        });
  }

  @Test
  void http404TryPullingWordingIsModelNotFoundToo() {
    answer(404, "application/json; charset=utf-8", Fixtures.read("error-404-try-pulling.json"));
    assertThatThrownBy(() -> client.chat(CHAT)).isInstanceOf(OllamaModelNotFoundException.class);
  }

  @Test
  void http404ForAWrongPathSaysToCheckTheBaseUrl() {
    answer(404, "text/plain", "404 page not found");
    assertThatThrownBy(() -> client.listModels())
        .isExactlyInstanceOf(OllamaHttpException.class)
        .hasMessageContaining("404 page not found")
        .hasMessageContaining("path prefix");
  }

  @Test
  void htmlErrorPageIsReducedToItsTitle() {
    answer(502, "text/html", "<html><head><title>502 Bad Gateway</title></head><body>"
        + "<h1>Bad Gateway</h1>" + "<p>padding</p>".repeat(200) + "</body></html>");
    assertThatThrownBy(() -> client.chat(CHAT))
        .isInstanceOfSatisfying(OllamaHttpException.class, e -> {
          assertThat(e.status()).isEqualTo(502);
          assertThat(e.serverMessage()).isEqualTo("502 Bad Gateway");
          assertThat(e.getMessage()).endsWith(": 502 Bad Gateway (an HTML page: a proxy or web server answered, not Ollama)");
        });
  }

  @Test
  void htmlErrorPageWithoutTitleLosesItsTagsAndIsCut() {
    answer(503, "text/html", "<!DOCTYPE html><html><body><h1>Service Unavailable</h1>"
        + "<p>padding</p>".repeat(200) + "</body></html>");
    assertThatThrownBy(() -> client.chat(CHAT))
        .isInstanceOfSatisfying(OllamaHttpException.class, e -> {
          assertThat(e.serverMessage()).startsWith("Service Unavailable padding padding").endsWith("…")
              .doesNotContain("<");
          assertThat(e.serverMessage().length()).isLessThanOrEqualTo(301);
        });
  }

  @Test
  void streamedCallChecksTheStatusBeforeReadingNdjson() {
    answer(429, "application/json", Fixtures.read("error-429-rate-limit.json"));
    assertThatThrownBy(() -> client.chatStream(CHAT))
        .isExactlyInstanceOf(OllamaHttpException.class)
        .hasMessageContaining("rate limit exceeded");
  }

  @Test
  void serverEchoingTheKeyIsRedacted() {
    answer(401, "text/plain", "bad key " + KEY + " for X-API-Key");
    assertThatThrownBy(() -> client.chat(CHAT))
        .isInstanceOfSatisfying(OllamaAuthenticationException.class, e -> {
          assertThat(e.getMessage()).doesNotContain(KEY).contains("[redacted]");
          assertThat(e.serverMessage()).doesNotContain(KEY);
        });
  }

  @Test
  void http500OptionTypeErrorKeepsTheStatus() {
    answer(500, "application/json; charset=utf-8", Fixtures.read("error-500-option-type.json"));
    assertThatThrownBy(() -> client.chat(CHAT))
        .isInstanceOfSatisfying(OllamaHttpException.class, e -> assertThat(e.status()).isEqualTo(500))
        .hasMessageContaining("must be of type");
  }
}
