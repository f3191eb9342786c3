package dev.keyway.ollama;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.keyway.ollama.model.EmbedRequest;
import dev.keyway.ollama.model.EmbedResponse;
import dev.keyway.ollama.model.EmbeddingsRequest;
import dev.keyway.ollama.model.Fixtures;
import dev.keyway.ollama.model.KeepAlive;
import dev.keyway.ollama.model.RunningModel;
import dev.keyway.ollama.model.ShowResponse;
import java.time.Duration;
import java.util.List;
import okhttp3.mockwebserver.RecordedRequest;
import org.junit.jupiter.api.Test;

/** embed, legacy embeddings, ps and show: request shapes and answers, against recorded payloads. */
class EmbedShowPsTest extends MockServerTest {
  @Override
  OllamaClient client(OllamaClient.Builder builder) {
    return builder.apiKey("kw-secret-e-1").build();
  }

  RecordedRequest taken(String method, String path) throws InterruptedException {
    RecordedRequest r = server.takeRequest();
    assertThat(r.getMethod()).isEqualTo(method);
    assertThat(r.getPath()).isEqualTo(path);
    assertThat(r.getHeader("X-API-Key")).isEqualTo("kw-secret-e-1");
    return r;
  }

  @Test
  void embedOneInputSendsAStringAsOllamasClientsDo() throws Exception {
    server.enqueue(json(Fixtures.read("embed.json")));
    EmbedResponse answer = client.embed(EmbedRequest.of("all-minilm", "Why is the sky blue?"));

    assertThat(answer.model()).isEqualTo("all-minilm");
    assertThat(answer.embeddings()).hasSize(1);
    assertThat(answer.embeddings().get(0)).hasSize(10).startsWith(0.010071029f, -0.0017594862f);
    assertThat(answer.totalDuration()).isEqualTo(Duration.ofNanos(14143917));
    assertThat(answer.promptEvalCount()).isEqualTo(8);
    assertThat(answer.toString()).contains("1 × 10").doesNotContain("0.0100");

    RecordedRequest r = taken("POST", "/api/embed");
    assertThat(JSON.readTree(r.getBody().readUtf8()))
        .isEqualTo(JSON.readTree(Fixtures.read("embed-request.json")));
  }

  @Test
  void embedBatchSendsEveryOption() throws Exception {
    server.enqueue(json(Fixtures.read("embed-multi.json")));
    EmbedResponse answer = client.embed(EmbedRequest.builder().model("all-minilm")
        .addInput("Why is the sky blue?").addInput("Why is the grass green?")
        .truncate(true).dimensions(10).keepAlive(KeepAlive.parse("5m")).build());

    assertThat(answer.embeddings()).hasSize(2);
    JsonNode sent = JSON.readTree(taken("POST", "/api/embed").getBody().readUtf8());
    assertThat(sent).isEqualTo(JSON.readTree(Fixtures.read("embed-request-multi.json")));
  }

  @Test
  void embedWithoutInputOnlyLoadsTheModel() throws Exception {
    server.enqueue(json(Fixtures.read("embed-empty-input.json")));
    EmbedResponse answer = client.embed(EmbedRequest.of("all-minilm"));

    assertThat(answer.embeddings()).isEmpty();
    assertThat(JSON.readTree(taken("POST", "/api/embed").getBody().readUtf8()).has("input")).isFalse();
  }

  @Test
  void embedInputTooLongIsAnHttpErrorWithOllamasMessage() {
    server.enqueue(json(Fixtures.read("error-400-input-too-long.json")).setResponseCode(400));
    assertThatThrownBy(() -> client.embed(EmbedRequest.builder().model("all-minilm")
            .addInput("long").truncate(false).build()))
        .isInstanceOfSatisfying(OllamaHttpException.class, e -> {
          assertThat(e.status()).isEqualTo(400);
          assertThat(e.serverMessage()).contains("input length exceeds the context length");
        });
  }

  @Test
  void embedUnknownModelIsModelNotFound() {
    server.enqueue(json(Fixtures.read("error-404-try-pulling.json")).setResponseCode(404));
    assertThatThrownBy(() -> client.embed(EmbedRequest.of("nomic", "x")))
        .isInstanceOf(OllamaModelNotFoundException.class);
  }

  @Test
  void embedRequestRefusesWhatOllamaWould() {
    assertThatThrownBy(() -> EmbedRequest.of(" ", "x")).hasMessageContaining("needs a model");
    assertThatThrownBy(() -> EmbedRequest.builder().model("m").dimensions(0).build())
        .hasMessageContaining("dimensions must be 1 or more");
  }

  @Test
  void legacyEmbeddingsKeepTheUnnormalisedVector() throws Exception {
    server.enqueue(json(Fixtures.read("embeddings-legacy.json")));
    double[] vector = client.embeddings(
        EmbeddingsRequest.of("all-minilm", "Here is an article about llamas..."));

    assertThat(vector).hasSize(10).startsWith(0.5670403838157654, 0.009260174818336964);
    assertThat(JSON.readTree(taken("POST", "/api/embeddings").getBody().readUtf8()))
        .isEqualTo(JSON.readTree(Fixtures.read("embeddings-legacy-request.json")));
  }

  @Test
  void runningListsLoadedModels() throws Exception {
    server.enqueue(json(Fixtures.read("ps.json")));
    List<RunningModel> running = client.running();

    assertThat(running).singleElement().satisfies(m -> {
      assertThat(m.name()).isEqualTo("gemma4");
      assertThat(m.size()).isEqualTo(6591830464L);
      assertThat(m.sizeVram()).isEqualTo(5333539264L);
      assertThat(m.contextLength()).isEqualTo(4096);
      assertThat(m.details().quantizationLevel()).isEqualTo("Q4_K_M");
      assertThat(m.expiresAt()).isNotNull();
      assertThat(m.expiresAt().getOffset().getTotalSeconds()).isEqualTo(-7 * 3600);
    });
    RecordedRequest r = taken("GET", "/api/ps");
    assertThat(r.getBodySize()).isZero();
  }

  @Test
  void runningIsEmptyWhenNothingIsLoaded() throws Exception {
    server.enqueue(json(Fixtures.read("ps-empty.json")));
    assertThat(client.running()).isEmpty();
  }

  @Test
  void showMapsDetailsModelInfoAndParameters() throws Exception {
    server.enqueue(json(Fixtures.read("show.json")));
    ShowResponse show = client.show("gemma4");

    assertThat(show.details().family()).isEqualTo("gemma4");
    assertThat(show.architecture()).isEqualTo("gemma4");
    assertThat(show.contextLength()).isEqualTo(131072L);
    assertThat(show.embeddingLength()).isEqualTo(2560L);
    assertThat(show.modelInfo()).containsEntry("tokenizer.ggml.merges", null)
        .containsEntry("tokenizer.ggml.eos_token_ids", List.of(1, 106, 50));
    assertThat(show.parameterValues()).containsEntry("temperature", List.of("0.7"))
        .containsEntry("num_ctx", List.of("2048"));
    assertThat(show.template()).isEqualTo("{{ .Prompt }}");
    assertThat(show.renderer()).isEqualTo("gemma4");
    assertThat(show.tensors()).isNotEmpty();
    assertThat(show.capabilities()).isNotEmpty();
    assertThat(show.modifiedAt()).isNotNull();
    assertThat(show.toString()).doesNotContain("Gemma Terms");

    assertThat(JSON.readTree(taken("POST", "/api/show").getBody().readUtf8()))
        .isEqualTo(JSON.readTree("{\"model\":\"gemma4\"}"));
  }

  @Test
  void showVerboseAsksForTheLargeArrays() throws Exception {
    server.enqueue(json(Fixtures.read("show-docs-llava.json")));
    ShowResponse show = client.showVerbose("llava");

    assertThat(show.hasCapability("vision")).isTrue();
    assertThat(show.modelInfo()).isNotEmpty();
    assertThat(JSON.readTree(taken("POST", "/api/show").getBody().readUtf8()))
        .isEqualTo(JSON.readTree("{\"model\":\"llava\",\"verbose\":true}"));
  }

  @Test
  void showOfACloudStubNamesTheRemoteModel() throws Exception {
    server.enqueue(json(Fixtures.read("show-cloud-stub.json")));
    ShowResponse show = client.show("gpt-oss:120b-cloud");
    assertThat(show.remoteModel()).isNotBlank();
    assertThat(show.remoteHost()).startsWith("https://");
  }

  @Test
  void showKeepsFieldsNewerServersAdd() throws Exception {
    server.enqueue(json("{\"details\":{},\"model_info\":{},\"capabilities\":[\"completion\",\"thinking\"],"
        + "\"thinking\":{\"values\":[\"low\",\"medium\",\"high\"],\"default\":\"medium\"},"
        + "\"template_source\":\"renderer\",\"requires\":\"0.14.0\",\"something_new\":{\"a\":1}}"));
    ShowResponse show = client.show("gpt-oss");
    assertThat(show.thinking()).containsEntry("default", "medium");
    assertThat(show.templateSource()).isEqualTo("renderer");
    assertThat(show.requires()).isEqualTo("0.14.0");
    assertThat(show.details().family()).isEmpty();
    assertThat(show.architecture()).isNull();
    assertThat(show.contextLength()).isNull();
  }

  @Test
  void showUnknownModelIsModelNotFound() {
    server.enqueue(json(Fixtures.read("error-404-model-not-found.json")).setResponseCode(404));
    assertThatThrownBy(() -> client.show("nope"))
        .isInstanceOfSatisfying(OllamaModelNotFoundException.class,
            e -> assertThat(e.getMessage()).doesNotContain("kw-secret"));
  }

  @Test
  void showNeedsAModelName() {
    assertThatThrownBy(() -> client.show(" ")).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("must name a model");
    assertThat(server.getRequestCount()).isZero();
  }
}
