package dev.keyway.ollama;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.keyway.ollama.model.Fixtures;
import dev.keyway.ollama.model.WebFetchResponse;
import dev.keyway.ollama.model.WebSearchResponse;
import okhttp3.mockwebserver.MockResponse;
import okhttp3.mockwebserver.MockWebServer;
import okhttp3.mockwebserver.RecordedRequest;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Ollama Cloud's web_search and web_fetch: Bearer only, at the configured host only. */
class WebSearchTest {
  static final ObjectMapper JSON = new ObjectMapper();

  MockWebServer server;

  @BeforeEach
  void setUp() throws Exception {
    server = new MockWebServer();
    server.start();
  }

  @AfterEach
  void tearDown() throws Exception {
    server.shutdown();
  }

  OllamaClient.Builder builder() {
    return OllamaClient.builder().baseUrl(server.url("/").toString());
  }

  static MockResponse json(String body) {
    return new MockResponse().setHeader("Content-Type", "application/json").setBody(body);
  }

  @Test
  void webSearchSendsQueryAndMaxResultsWithTheBearerToken() throws Exception {
    server.enqueue(json(Fixtures.read("web-search.json")));
    try (OllamaClient client = builder().bearerToken("kw-secret-w-1").build()) {
      WebSearchResponse answer = client.webSearch("what is ollama?", 3);
      assertThat(answer.results()).hasSize(3);
      assertThat(answer.results().get(0).url()).isEqualTo("https://ollama.com/");
      assertThat(answer.results().get(0).title()).isEqualTo("Ollama");
    }
    RecordedRequest r = server.takeRequest();
    assertThat(r.getMethod()).isEqualTo("POST");
    assertThat(r.getPath()).isEqualTo("/api/web_search");
    assertThat(r.getHeader("Authorization")).isEqualTo("Bearer kw-secret-w-1");
    assertThat(JSON.readTree(r.getBody().readUtf8()))
        .isEqualTo(JSON.readTree(Fixtures.read("web-search-request.json")));
  }

  @Test
  void webFetchSendsTheUrl() throws Exception {
    server.enqueue(json(Fixtures.read("web-fetch.json")));
    try (OllamaClient client = builder().bearerToken("kw-secret-w-1").build()) {
      WebFetchResponse page = client.webFetch("https://ollama.com");
      assertThat(page.title()).isEqualTo("Ollama");
      assertThat(page.links()).contains("https://github.com/ollama/ollama");
    }
    RecordedRequest r = server.takeRequest();
    assertThat(r.getPath()).isEqualTo("/api/web_fetch");
    assertThat(JSON.readTree(r.getBody().readUtf8()))
        .isEqualTo(JSON.readTree(Fixtures.read("web-fetch-request.json")));
  }

  @Test
  void withoutABearerCredentialNothingIsSentAndTheErrorSaysWhatToSet() {
    try (OllamaClient none = builder().build(); OllamaClient apiKey = builder().apiKey("kw-secret-w-2").build()) {
      for (OllamaClient client : new OllamaClient[] {none, apiKey}) {
        assertThatThrownBy(() -> client.webSearch("q"))
            .isInstanceOf(IllegalStateException.class)
            .hasMessageContaining("needs a Bearer credential").hasMessageContaining("bearerToken")
            .hasMessageNotContaining("kw-secret");
        assertThatThrownBy(() -> client.webFetch("https://example.com"))
            .isInstanceOf(IllegalStateException.class);
      }
    }
    assertThat(server.getRequestCount()).isZero();
  }

  @Test
  void aBearerSetAsACustomAuthorizationHeaderCounts() throws Exception {
    server.enqueue(json("{\"results\":[]}"));
    try (OllamaClient client = builder()
        .credential(Credential.header("Authorization", "Bearer kw-secret-w-3")).build()) {
      assertThat(client.webSearch("q").results()).isEmpty();
    }
  }

  @Test
  void maxResultsOutsideOneToTenIsRefused() {
    try (OllamaClient client = builder().bearerToken("kw-secret-w-1").build()) {
      assertThatThrownBy(() -> client.webSearch("q", 0)).hasMessageContaining("1 to 10");
      assertThatThrownBy(() -> client.webSearch("q", 11)).hasMessageContaining("1 to 10");
      assertThatThrownBy(() -> client.webSearch(" ")).hasMessageContaining("needs a query");
    }
    assertThat(server.getRequestCount()).isZero();
  }

  @Test
  void cloudRefusalIsAnAuthenticationError() {
    server.enqueue(json(Fixtures.read("error-401-unauthorized.json")).setResponseCode(401));
    try (OllamaClient client = builder().bearerToken("kw-secret-w-1").build()) {
      assertThatThrownBy(() -> client.webSearch("q"))
          .isInstanceOf(OllamaAuthenticationException.class)
          .hasMessageNotContaining("kw-secret");
    }
  }
}
