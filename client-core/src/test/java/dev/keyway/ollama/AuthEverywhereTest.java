package dev.keyway.ollama;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.keyway.ollama.model.ChatRequest;
import dev.keyway.ollama.model.CreateRequest;
import dev.keyway.ollama.model.EmbedRequest;
import dev.keyway.ollama.model.EmbeddingsRequest;
import dev.keyway.ollama.model.GenerateRequest;
import dev.keyway.ollama.model.Message;
import dev.keyway.ollama.testkit.OllamaStandIn;
import dev.keyway.ollama.testkit.RecordedRequest;
import dev.keyway.ollama.testkit.ScriptedModel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Every endpoint, walked against a stand-in that requires the credential: each call succeeds
 * with it, every request the server saw carried it, and each call fails with a typed
 * authentication error without it (never quoting either credential).
 */
class AuthEverywhereTest {
  static final String TOKEN = "kw-secret-walk-31415";

  @TempDir Path dir;

  /** Each endpoint, as one call; names are what a failure report shows. */
  Map<String, Consumer<OllamaClient>> endpoints(boolean withWeb) throws Exception {
    Path blob = Files.writeString(dir.resolve("weights-" + System.nanoTime() + ".gguf"), "GGUF fake weights");
    ChatRequest chat = ChatRequest.builder().model("llama3.2").addMessage(Message.user("hi")).build();
    GenerateRequest generate = GenerateRequest.builder().model("llama3.2").prompt("hi").build();
    Map<String, Consumer<OllamaClient>> calls = new LinkedHashMap<>();
    calls.put("GET /api/version", OllamaClient::version);
    calls.put("GET /api/tags", OllamaClient::listModels);
    calls.put("POST /api/chat", c -> c.chat(chat));
    calls.put("POST /api/chat (stream)", c -> c.chatStream(chat).result());
    calls.put("POST /api/chat (async)", c -> c.chatStream(chat, x -> {}).future().join());
    calls.put("POST /api/generate", c -> c.generate(generate));
    calls.put("POST /api/generate (stream)", c -> c.generateStream(generate).result());
    calls.put("POST /api/embed", c -> c.embed(EmbedRequest.of("llama3.2", "a", "b")));
    calls.put("POST /api/embeddings", c -> c.embeddings(EmbeddingsRequest.of("llama3.2", "a")));
    calls.put("GET /api/ps", OllamaClient::running);
    calls.put("POST /api/show", c -> c.show("llama3.2"));
    calls.put("POST /api/pull", c -> c.models().pull("tinyllama"));
    calls.put("POST /api/pull (stream)", c -> c.models().pullStream("tinyllama").result());
    calls.put("POST /api/push", c -> c.models().push("llama3.2"));
    calls.put("POST /api/create", c -> c.models().create(
        CreateRequest.builder().model("mario").from("llama3.2").system("It's a me").build()));
    calls.put("POST /api/copy", c -> c.models().copy("llama3.2", "llama3-backup"));
    calls.put("DELETE /api/delete", c -> c.models().delete("llama3-backup"));
    calls.put("HEAD + POST /api/blobs", c -> c.models().uploadBlob(blob));
    calls.put("HEAD /api/blobs", c -> c.models().blobExists(
        "sha256:0000000000000000000000000000000000000000000000000000000000000000"));
    calls.put("load: POST /api/generate", c -> c.models().load("llama3.2"));
    calls.put("unload: POST /api/generate", c -> c.models().unload("llama3.2"));
    calls.put("publisher: POST /api/chat", c -> reactor.adapter.JdkFlowAdapter
        .flowPublisherToFlux(c.publisher(() -> c.chatStream(chat))).blockLast());
    if (withWeb) {
      calls.put("POST /api/web_search", c -> c.webSearch("what is ollama?", 3));
      calls.put("POST /api/web_fetch", c -> c.webFetch("https://ollama.com"));
    }
    return calls;
  }

  @ParameterizedTest
  @ValueSource(strings = {"bearer", "x-api-key", "custom"})
  void everyEndpointSendsTheCredentialAndWorks(String kind) throws Exception {
    OllamaStandIn.Builder server = OllamaStandIn.builder().model(ScriptedModel.named("llama3.2").answer("ok"));
    OllamaClient.Builder client = OllamaClient.builder().maxRetries(0);
    String header;
    String value;
    switch (kind) {
      case "bearer" -> {
        server.requireBearer(TOKEN);
        client.bearerToken(TOKEN);
        header = "Authorization";
        value = "Bearer " + TOKEN;
      }
      case "x-api-key" -> {
        server.requireApiKey(TOKEN);
        client.apiKey(TOKEN);
        header = "X-API-Key";
        value = TOKEN;
      }
      default -> {
        server.requireCredential("X-Gateway-Token", TOKEN);
        client.credential(Credential.header("X-Gateway-Token", TOKEN));
        header = "X-Gateway-Token";
        value = TOKEN;
      }
    }
    try (OllamaStandIn standIn = server.build();
        OllamaClient ollama = client.baseUrl(standIn.baseUrl()).build()) {
      Map<String, Consumer<OllamaClient>> calls = endpoints(kind.equals("bearer"));
      List<String> failed = new ArrayList<>();
      calls.forEach((name, call) -> {
        try {
          call.accept(ollama);
        } catch (RuntimeException e) {
          failed.add(name + ": " + e);
        }
      });
      assertThat(failed).as("endpoints that failed with the right credential").isEmpty();

      List<RecordedRequest> seen = standIn.requests();
      assertThat(seen).extracting(RecordedRequest::path).contains("/api/version", "/api/tags",
          "/api/chat", "/api/generate", "/api/embed", "/api/embeddings", "/api/ps", "/api/show",
          "/api/pull", "/api/push", "/api/create", "/api/copy", "/api/delete");
      assertThat(seen).filteredOn(r -> r.path().startsWith("/api/blobs/")).hasSizeGreaterThanOrEqualTo(3);
      if (kind.equals("bearer")) {
        assertThat(seen).extracting(RecordedRequest::path).contains("/api/web_search", "/api/web_fetch");
      }
      assertThat(seen).allSatisfy(r -> assertThat(r.header(header)).as(r.method() + " " + r.path()).isEqualTo(value));
    }
  }

  @Test
  void everyEndpointFailsTypedWithoutTheCredential() throws Exception {
    try (OllamaStandIn standIn = OllamaStandIn.builder().requireBearer(TOKEN)
            .model(ScriptedModel.named("llama3.2").answer("ok")).build();
        OllamaClient wrong = OllamaClient.builder().baseUrl(standIn.baseUrl()).maxRetries(0)
            .bearerToken("kw-secret-wrong-0").build()) {
      endpoints(true).forEach((name, call) -> {
        assertThatThrownBy(() -> call.accept(wrong)).as(name)
            .satisfies(e -> {
              Throwable t = e instanceof java.util.concurrent.CompletionException ? e.getCause() : e;
              assertThat(t).as(name).isInstanceOf(OllamaAuthenticationException.class);
              assertThat(t.getMessage()).as(name).doesNotContain("kw-secret");
            });
      });
    }
  }
}
