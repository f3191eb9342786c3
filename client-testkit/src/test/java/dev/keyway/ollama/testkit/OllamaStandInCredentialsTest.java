package dev.keyway.ollama.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.Test;

class OllamaStandInCredentialsTest {

  @Test
  void missingApiKeyIs401PlainTextOnEveryPath() {
    try (OllamaStandIn ollama = OllamaStandIn.builder().requireApiKey("kw-secret-standin").build()) {
      for (String path : new String[] {"/", "/api/tags", "/api/version", "/no/such/path"}) {
        HttpResponse<String> response = Http.get(ollama, path);

        assertThat(response.statusCode()).as(path).isEqualTo(401);
        assertThat(response.headers().firstValue("Content-Type")).hasValue("text/plain; charset=utf-8");
        assertThat(response.body()).isEqualTo("Unauthorized");
      }
      assertThat(Http.post(ollama, "/api/chat", "{\"model\":\"llama3.2\"}").statusCode()).isEqualTo(401);
    }
  }

  private static final String EMPTY_BLOB =
      "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

  /** Method, path and a body that the route would accept, for every route added after chat. */
  private static final String[][] NEW_ROUTES = {
    {"POST", "/api/embed", "{\"model\":\"llama3.2\",\"input\":\"x\"}"},
    {"POST", "/api/embeddings", "{\"model\":\"llama3.2\",\"prompt\":\"x\"}"},
    {"GET", "/api/ps", ""},
    {"POST", "/api/show", "{\"model\":\"llama3.2\"}"},
    {"POST", "/api/pull", "{\"model\":\"gemma3\",\"stream\":false}"},
    {"POST", "/api/push", "{\"model\":\"llama3.2\",\"stream\":false}"},
    {"POST", "/api/create", "{\"model\":\"m\",\"from\":\"llama3.2\",\"stream\":false}"},
    {"POST", "/api/copy", "{\"source\":\"llama3.2\",\"destination\":\"c\"}"},
    {"DELETE", "/api/delete", "{\"model\":\"c\"}"},
    {"POST", "/api/blobs/" + EMPTY_BLOB, ""},
    {"HEAD", "/api/blobs/" + EMPTY_BLOB, ""},
    {"POST", "/api/web_search", "{\"query\":\"q\"}"},
    {"POST", "/api/web_fetch", "{\"url\":\"https://ollama.com\"}"},
    {"POST", "/api/experimental/web_search", "{\"query\":\"q\"}"},
    {"POST", "/api/experimental/web_fetch", "{\"url\":\"https://ollama.com\"}"},
  };

  private static HttpResponse<String> call(OllamaStandIn ollama, String[] route, String... headers) {
    return Http.send(Http.request(ollama, route[1], headers)
        .method(route[0], route[2].isEmpty()
            ? HttpRequest.BodyPublishers.noBody()
            : HttpRequest.BodyPublishers.ofString(route[2]))
        .build());
  }

  @Test
  void everyRouteIs401WithoutTheCredentialAndServedWithIt() {
    try (OllamaStandIn ollama = OllamaStandIn.builder().requireApiKey("kw-secret-all").build()) {
      for (String[] route : NEW_ROUTES) {
        HttpResponse<String> rejected = call(ollama, route);
        HttpResponse<String> wrong = call(ollama, route, "X-API-Key", "kw-secret-wrong");

        assertThat(rejected.statusCode()).as(route[0] + " " + route[1]).isEqualTo(401);
        assertThat(wrong.statusCode()).as(route[0] + " " + route[1]).isEqualTo(401);
        if (!route[0].equals("HEAD")) {
          assertThat(rejected.body()).isEqualTo("Unauthorized");
          assertThat(rejected.headers().firstValue("Content-Type")).hasValue("text/plain; charset=utf-8");
        }
      }
      assertThat(Http.get(ollama, "/api/tags", "X-API-Key", "kw-secret-all").body())
          .doesNotContain("gemma3", "\"m:latest\"", "\"c:latest\""); // nothing happened

      for (String[] route : NEW_ROUTES) {
        HttpResponse<String> served = call(ollama, route, "X-API-Key", "kw-secret-all");

        assertThat(served.statusCode()).as(route[0] + " " + route[1] + ": " + served.body())
            .isBetween(200, 201);
      }
      assertThat(ollama.requests()).hasSize(3 * NEW_ROUTES.length + 1);
    }
  }

  @Test
  void wrongApiKeyIs401() {
    try (OllamaStandIn ollama = OllamaStandIn.builder().requireApiKey("kw-secret-standin").build()) {
      assertThat(Http.get(ollama, "/api/tags", "X-API-Key", "Secret").statusCode()).isEqualTo(401);
      assertThat(Http.get(ollama, "/api/tags", "Authorization", "Bearer secret").statusCode()).isEqualTo(401);
    }
  }

  @Test
  void exactApiKeyIs200WhateverTheHeaderNameCase() {
    try (OllamaStandIn ollama = OllamaStandIn.builder().requireApiKey("kw-secret-standin").build()) {
      assertThat(Http.get(ollama, "/api/tags", "X-API-Key", "kw-secret-standin").statusCode()).isEqualTo(200);
      assertThat(Http.get(ollama, "/api/tags", "x-api-key", "kw-secret-standin").statusCode()).isEqualTo(200);
    }
  }

  @Test
  void bearerTokenIsChecked() {
    try (OllamaStandIn ollama = OllamaStandIn.builder().requireBearer("kw-secret-tok").build()) {
      assertThat(Http.get(ollama, "/api/version").statusCode()).isEqualTo(401);
      assertThat(Http.get(ollama, "/api/version", "Authorization", "Bearer nope").statusCode()).isEqualTo(401);
      HttpResponse<String> ok = Http.post(ollama, "/api/chat",
          "{\"model\":\"llama3.2\",\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}",
          "Authorization", "Bearer kw-secret-tok");
      assertThat(ok.statusCode()).isEqualTo(200);
      assertThat(ok.body()).contains("\"done\":true");
    }
  }

  @Test
  void customHeaderCredentialAndRejectedRequestsAreRecorded() {
    try (OllamaStandIn ollama = OllamaStandIn.builder().requireCredential("X-Gateway-Token", "kw-secret-g1").build()) {
      Http.get(ollama, "/api/tags");
      Http.get(ollama, "/api/tags", "X-Gateway-Token", "kw-secret-g1");

      assertThat(ollama.takeRequest().header("X-Gateway-Token")).isNull();
      assertThat(ollama.takeRequest().header("x-gateway-token")).isEqualTo("kw-secret-g1");
    }
  }

  @Test
  void rejectedRequestsDoNotTakeFaults() {
    try (OllamaStandIn ollama = OllamaStandIn.builder().requireApiKey("kw-secret-k").build()) {
      ollama.enqueue(Fault.status(503, "{\"error\":\"busy\"}"));

      assertThat(Http.post(ollama, "/api/chat", "{}").statusCode()).isEqualTo(401);
      assertThat(Http.post(ollama, "/api/chat", "{}", "X-API-Key", "kw-secret-k").statusCode()).isEqualTo(503);
    }
  }
}
