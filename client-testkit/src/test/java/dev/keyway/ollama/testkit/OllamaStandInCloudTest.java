package dev.keyway.ollama.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Web search and web fetch, at ollama.com's paths and the local server's experimental ones. */
class OllamaStandInCloudTest {
  private static final String[] SEARCH = {"/api/web_search", "/api/experimental/web_search"};
  private static final String[] FETCH = {"/api/web_fetch", "/api/experimental/web_fetch"};

  private final OllamaStandIn ollama = OllamaStandIn.builder().build();

  @AfterEach
  void close() {
    ollama.close();
  }

  @Test
  void webSearchAnswersMaxResultsResultsShapedLikeWebSearchJson() {
    for (String path : SEARCH) {
      HttpResponse<String> response =
          Http.post(ollama, path, "{\"query\":\"what is ollama?\",\"max_results\":3}");

      assertThat(response.statusCode()).as(path).isEqualTo(200);
      assertThat(response.headers().firstValue("Content-Type")).hasValue("application/json; charset=utf-8");
      JsonNode reply = Http.json(response.body());
      assertThat(Http.fieldNames(reply)).containsExactly("results");
      assertThat(reply.get("results")).hasSize(3).allSatisfy(result -> {
        assertThat(Http.fieldNames(result)).containsExactly("title", "url", "content");
        assertThat(result.get("url").asText()).startsWith("https://");
      });
      assertThat(reply.at("/results/0/title").asText()).contains("what is ollama?");
      assertThat(reply.at("/results/0/url").asText()).isNotEqualTo(reply.at("/results/1/url").asText());
    }
  }

  @Test
  void maxResultsDefaultsToFiveAndIsHeldToOneToTen() {
    assertThat(results("{\"query\":\"q\"}")).isEqualTo(5);
    assertThat(results("{\"query\":\"q\",\"max_results\":0}")).isEqualTo(5);
    assertThat(results("{\"query\":\"q\",\"max_results\":50}")).isEqualTo(10);
    assertThat(results("{\"query\":\"q\",\"max_results\":-2}")).isEqualTo(1);
  }

  private int results(String body) {
    return Http.json(Http.post(ollama, "/api/web_search", body).body()).get("results").size();
  }

  @Test
  void webFetchAnswersTitleContentAndLinks() {
    for (String path : FETCH) {
      HttpResponse<String> response = Http.post(ollama, path, "{\"url\":\"https://ollama.com\"}");

      assertThat(response.statusCode()).as(path).isEqualTo(200);
      JsonNode reply = Http.json(response.body());
      assertThat(Http.fieldNames(reply)).containsExactly("title", "content", "links");
      assertThat(reply.get("title").asText()).isEqualTo("ollama.com");
      assertThat(reply.get("content").asText()).contains("https://ollama.com");
      assertThat(reply.get("links").get(0).asText()).isEqualTo("https://ollama.com");
      assertThat(reply.get("links")).allSatisfy(link -> assertThat(link.asText()).startsWith("https://ollama.com"));
    }
  }

  @Test
  void missingFieldsOrBodyAre400() {
    for (String path : SEARCH) {
      assertThat(Http.post(ollama, path, "{\"max_results\":2}").body()).isEqualTo("{\"error\":\"query is required\"}");
      assertThat(Http.post(ollama, path, "").body()).isEqualTo("{\"error\":\"missing request body\"}");
      assertThat(Http.post(ollama, path, "{}").statusCode()).isEqualTo(400);
    }
    for (String path : FETCH) {
      assertThat(Http.post(ollama, path, "{}").body()).isEqualTo("{\"error\":\"url is required\"}");
      assertThat(Http.post(ollama, path, "  ").body()).isEqualTo("{\"error\":\"missing request body\"}");
      assertThat(Http.post(ollama, path, "{}").statusCode()).isEqualTo(400);
    }
    assertThat(Http.get(ollama, "/api/web_search").statusCode()).isEqualTo(405);
  }

  @Test
  void webRequestsAreRecordedWithTheirHeaders() {
    Http.post(ollama, "/api/web_search", "{\"query\":\"q\"}", "Authorization", "Bearer kw-secret-web");

    RecordedRequest request = ollama.takeRequest();
    assertThat(request.path()).isEqualTo("/api/web_search");
    assertThat(request.header("Authorization")).isEqualTo("Bearer kw-secret-web");
    assertThat(request.bodyJson().get("query").asText()).isEqualTo("q");
  }
}
