package dev.keyway.ollama.testkit;

import static org.assertj.core.api.Assertions.assertThat;

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
