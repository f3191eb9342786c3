package dev.keyway.ollama.testkit;

import static org.awaitility.Awaitility.await;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** {@code /api/embed}, {@code /api/embeddings} and {@code /api/ps}. */
class OllamaStandInEmbedTest {
  private OllamaStandIn ollama = OllamaStandIn.builder().build();

  @AfterEach
  void close() {
    ollama.close();
  }

  private void restart(OllamaStandIn.Builder builder) {
    ollama.close();
    ollama = builder.build();
  }

  private JsonNode embed(String body) {
    HttpResponse<String> response = Http.post(ollama, "/api/embed", body);
    assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
    return Http.json(response.body());
  }

  private static double[] vector(JsonNode array) {
    double[] out = new double[array.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = array.get(i).doubleValue();
    }
    return out;
  }

  private static double norm(double[] vector) {
    double sum = 0;
    for (double v : vector) {
      sum += v * v;
    }
    return Math.sqrt(sum);
  }

  @Test
  void embedAnswersOneUnitVectorWithMetricsInOllamasFieldOrder() {
    HttpResponse<String> response =
        Http.post(ollama, "/api/embed", "{\"model\":\"llama3.2\",\"input\":\"Why is the sky blue?\"}");

    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(response.headers().firstValue("Content-Type")).hasValue("application/json; charset=utf-8");
    JsonNode reply = Http.json(response.body());
    assertThat(Http.fieldNames(reply))
        .containsExactly("model", "embeddings", "total_duration", "load_duration", "prompt_eval_count");
    assertThat(reply.get("model").asText()).isEqualTo("llama3.2");
    assertThat(reply.get("embeddings")).hasSize(1);
    double[] vector = vector(reply.at("/embeddings/0"));
    assertThat(vector).hasSize(8);
    assertThat(norm(vector)).isCloseTo(1.0, within(1e-5));
    assertThat(reply.get("prompt_eval_count").asInt()).isEqualTo(8); // as in embed.json
    assertThat(reply.get("total_duration").asLong()).isGreaterThanOrEqualTo(reply.get("load_duration").asLong());
    assertThat(reply.get("load_duration").asLong()).isPositive();
  }

  @Test
  void vectorsAreDeterministicPerTextAndComeBackInInputOrder() {
    JsonNode sky = embed("{\"model\":\"llama3.2\",\"input\":\"sky\"}").at("/embeddings/0");
    JsonNode grass = embed("{\"model\":\"llama3.2\",\"input\":\"grass\"}").at("/embeddings/0");
    JsonNode both = embed("{\"model\":\"llama3.2\",\"input\":[\"grass\",\"sky\"]}").get("embeddings");

    assertThat(sky).isNotEqualTo(grass);
    assertThat(both.get(0)).isEqualTo(grass);
    assertThat(both.get(1)).isEqualTo(sky);
    assertThat(embed("{\"model\":\"llama3.2\",\"input\":\"sky\"}").at("/embeddings/0")).isEqualTo(sky);
  }

  @Test
  void embeddingLengthIsScriptedAndDimensionsCutAndRenormalise() {
    restart(OllamaStandIn.builder().model(ScriptedModel.named("all-minilm").embeddingLength(16)));

    double[] full = vector(embed("{\"model\":\"all-minilm\",\"input\":\"x\"}").at("/embeddings/0"));
    double[] cut = vector(embed("{\"model\":\"all-minilm\",\"input\":\"x\",\"dimensions\":4}").at("/embeddings/0"));
    double[] same = vector(embed("{\"model\":\"all-minilm\",\"input\":\"x\",\"dimensions\":16}").at("/embeddings/0"));

    assertThat(full).hasSize(16);
    assertThat(same).containsExactly(full);
    assertThat(cut).hasSize(4);
    assertThat(norm(cut)).isCloseTo(1.0, within(1e-5));
    double scale = norm(new double[] {full[0], full[1], full[2], full[3]});
    for (int i = 0; i < 4; i++) {
      assertThat(cut[i]).isCloseTo(full[i] / scale, within(1e-5));
    }
  }

  @Test
  void emptyOrAbsentInputOnlyLoadsTheModel() {
    for (String input : new String[] {"", ",\"input\":\"\"", ",\"input\":[]", ",\"input\":null"}) {
      HttpResponse<String> response = Http.post(ollama, "/api/embed", "{\"model\":\"llama3.2\"" + input + "}");

      assertThat(response.statusCode()).isEqualTo(200);
      assertThat(response.body()).as(input).isEqualTo("{\"model\":\"llama3.2\",\"embeddings\":[]}");
    }
    assertThat(Http.json(Http.get(ollama, "/api/ps").body()).at("/models/0/name").asText())
        .isEqualTo("llama3.2:latest");
  }

  @Test
  void inputOtherThanStringsIs400() {
    for (String input : new String[] {"42", "[1]", "[\"a\",2]", "{\"a\":1}", "true"}) {
      HttpResponse<String> response =
          Http.post(ollama, "/api/embed", "{\"model\":\"llama3.2\",\"input\":" + input + "}");

      assertThat(response.statusCode()).as(input).isEqualTo(400);
      assertThat(response.body()).isEqualTo("{\"error\":\"invalid input type\"}");
    }
  }

  @Test
  void inputLongerThanTheContextIsCutUnlessTruncateIsFalse() {
    restart(OllamaStandIn.builder().model(ScriptedModel.named("tiny").contextLength(10)));
    String longText = "0123456789 and then some";

    HttpResponse<String> refused = Http.post(ollama, "/api/embed",
        "{\"model\":\"tiny\",\"input\":[\"short\",\"" + longText + "\"],\"truncate\":false}");
    JsonNode cut = embed("{\"model\":\"tiny\",\"input\":\"" + longText + "\"}").at("/embeddings/0");
    JsonNode prefix = embed("{\"model\":\"tiny\",\"input\":\"0123456789\"}").at("/embeddings/0");

    assertThat(refused.statusCode()).isEqualTo(400);
    assertThat(refused.body()).isEqualTo("{\"error\":\"the input length exceeds the context length\"}");
    assertThat(cut).isEqualTo(prefix);
    assertThat(Http.post(ollama, "/api/embed",
        "{\"model\":\"tiny\",\"input\":\"0123456789\",\"truncate\":false}").statusCode()).isEqualTo(200);
  }

  @Test
  void unknownModelIs404TryPullingAndMissingModelIs400() {
    HttpResponse<String> unknown = Http.post(ollama, "/api/embed", "{\"model\":\"all-minilm\",\"input\":\"x\"}");
    HttpResponse<String> missing = Http.post(ollama, "/api/embed", "{\"input\":\"x\"}");

    assertThat(unknown.statusCode()).isEqualTo(404);
    assertThat(unknown.body()).isEqualTo("{\"error\":\"model \\\"all-minilm\\\" not found, try pulling it first\"}");
    assertThat(missing.statusCode()).isEqualTo(400);
    assertThat(missing.body()).isEqualTo("{\"error\":\"model is required\"}");
    assertThat(Http.post(ollama, "/api/embed", "").body()).isEqualTo("{\"error\":\"missing request body\"}");
  }

  @Test
  void legacyEmbeddingsIsTheSameVectorTimesThreeNotNormalised() {
    double[] unit = vector(embed("{\"model\":\"llama3.2\",\"input\":\"llamas\"}").at("/embeddings/0"));

    HttpResponse<String> response =
        Http.post(ollama, "/api/embeddings", "{\"model\":\"llama3.2\",\"prompt\":\"llamas\"}");

    assertThat(response.statusCode()).isEqualTo(200);
    JsonNode reply = Http.json(response.body());
    assertThat(Http.fieldNames(reply)).containsExactly("embedding");
    double[] legacy = vector(reply.get("embedding"));
    assertThat(legacy).hasSize(unit.length);
    assertThat(norm(legacy)).isCloseTo(3.0, within(1e-4));
    for (int i = 0; i < unit.length; i++) {
      assertThat(legacy[i]).isCloseTo(unit[i] * 3, within(1e-6));
    }
  }

  @Test
  void legacyEmbeddingsEmptyPromptAndErrors() {
    assertThat(Http.post(ollama, "/api/embeddings", "{\"model\":\"llama3.2\",\"prompt\":\"\"}").body())
        .isEqualTo("{\"embedding\":[]}");
    HttpResponse<String> unknown = Http.post(ollama, "/api/embeddings", "{\"model\":\"nope\",\"prompt\":\"x\"}");
    assertThat(unknown.statusCode()).isEqualTo(404);
    assertThat(unknown.body()).isEqualTo("{\"error\":\"model \\\"nope\\\" not found, try pulling it first\"}");
    assertThat(Http.post(ollama, "/api/embeddings", "{\"prompt\":\"x\"}").statusCode()).isEqualTo(400);
  }

  @Test
  void legacyEmbeddingsCannotTruncateSoALongPromptIs500() {
    restart(OllamaStandIn.builder().model(ScriptedModel.named("tiny").contextLength(4)));

    HttpResponse<String> response = Http.post(ollama, "/api/embeddings", "{\"model\":\"tiny\",\"prompt\":\"12345\"}");

    assertThat(response.statusCode()).isEqualTo(500);
    assertThat(response.body()).isEqualTo("{\"error\":\"the input length exceeds the context length\"}");
  }

  @Test
  void psIsEmptyUntilAModelIsUsed() {
    HttpResponse<String> response = Http.get(ollama, "/api/ps");

    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(response.headers().firstValue("Content-Type")).hasValue("application/json; charset=utf-8");
    assertThat(response.body()).isEqualTo("{\"models\":[]}");
    assertThat(Http.head(ollama, "/api/ps").statusCode()).isEqualTo(405); // GET only, as in Ollama
  }

  @Test
  void psListsWhatChatGenerateAndEmbedLoadedLongestTimeLeftFirst() {
    restart(OllamaStandIn.builder()
        .model(ScriptedModel.named("llama3.2"))
        .model(ScriptedModel.named("qwen3:8b").family("qwen3").parameterSize("8.2B").contextLength(32768))
        .model(ScriptedModel.named("all-minilm")));
    OffsetDateTime before = OffsetDateTime.now();
    Http.post(ollama, "/api/chat", "{\"model\":\"llama3.2\",\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}");
    Http.post(ollama, "/api/generate", "{\"model\":\"qwen3:8b\",\"prompt\":\"Hi\",\"keep_alive\":\"1h\",\"stream\":false}");
    embed("{\"model\":\"all-minilm\",\"input\":\"x\",\"keep_alive\":60}");

    JsonNode models = Http.json(Http.get(ollama, "/api/ps").body()).get("models");

    assertThat(models).extracting(m -> m.get("name").asText())
        .containsExactly("qwen3:8b", "llama3.2:latest", "all-minilm:latest");
    JsonNode qwen = models.get(0);
    assertThat(Http.fieldNames(qwen)).containsExactly(
        "name", "model", "size", "digest", "details", "expires_at", "size_vram", "context_length");
    assertThat(qwen.get("model").asText()).isEqualTo("qwen3:8b");
    assertThat(qwen.get("size").asLong()).isPositive().isEqualTo(qwen.get("size_vram").asLong());
    assertThat(qwen.get("digest").asText()).matches("[0-9a-f]{64}");
    assertThat(qwen.get("details").toString()).isEqualTo(
        "{\"parent_model\":\"\",\"format\":\"gguf\",\"family\":\"qwen3\",\"families\":[\"qwen3\"],"
            + "\"parameter_size\":\"8.2B\",\"quantization_level\":\"Q4_K_M\"}");
    assertThat(qwen.get("context_length").asInt()).isEqualTo(32768);
    assertThat(models.get(1).get("context_length").asInt()).isEqualTo(4096);
    OffsetDateTime expires = OffsetDateTime.parse(qwen.get("expires_at").asText());
    assertThat(expires).isBetween(before.plusMinutes(59), OffsetDateTime.now().plusHours(1));
    assertThat(OffsetDateTime.parse(models.get(1).get("expires_at").asText()))
        .isBetween(before.plusMinutes(4), OffsetDateTime.now().plusMinutes(5));
    assertThat(OffsetDateTime.parse(models.get(2).get("expires_at").asText()))
        .isBetween(before.plusSeconds(59), OffsetDateTime.now().plusSeconds(60));
  }

  @Test
  void keepAliveZeroUnloadsAndExpiredModelsLeave() {
    String hi = "\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]";
    Http.post(ollama, "/api/chat", "{\"model\":\"llama3.2\"," + hi + "}");
    assertThat(Http.json(Http.get(ollama, "/api/ps").body()).get("models")).hasSize(1);

    Http.post(ollama, "/api/chat", "{\"model\":\"llama3.2\",\"keep_alive\":\"0s\"," + hi + "}");
    assertThat(Http.get(ollama, "/api/ps").body()).isEqualTo("{\"models\":[]}");

    Http.post(ollama, "/api/generate", "{\"model\":\"llama3.2\"}");
    assertThat(Http.json(Http.get(ollama, "/api/ps").body()).get("models")).hasSize(1);
    Http.post(ollama, "/api/generate", "{\"model\":\"llama3.2\",\"keep_alive\":0}");
    assertThat(Http.get(ollama, "/api/ps").body()).isEqualTo("{\"models\":[]}");

    embed("{\"model\":\"llama3.2\",\"input\":\"x\",\"keep_alive\":\"1ms\"}");
    // Loaded for 1 ms, then gone: without expiry it would stay listed past the deadline.
    await("the model kept alive for 1ms leaves /api/ps").atMost(Duration.ofSeconds(5)).until(() -> Http.get(ollama, "/api/ps").body().equals("{\"models\":[]}"));
  }

  @Test
  void psIsConsistentUnderConcurrentUse() throws Exception {
    OllamaStandIn.Builder builder = OllamaStandIn.builder();
    for (int m = 0; m < 4; m++) {
      builder.model(ScriptedModel.named("m" + m));
    }
    restart(builder);
    ExecutorService pool = Executors.newFixedThreadPool(8);
    try {
      List<Future<Integer>> statuses = new ArrayList<>();
      for (int i = 0; i < 40; i++) {
        String model = "m" + (i % 4);
        statuses.add(pool.submit(() -> Http.post(ollama, "/api/embed",
            "{\"model\":\"" + model + "\",\"input\":\"x\"}").statusCode()));
        statuses.add(pool.submit(() -> Http.get(ollama, "/api/ps").statusCode()));
      }
      for (Future<Integer> status : statuses) {
        assertThat(status.get()).isEqualTo(200);
      }
    } finally {
      pool.shutdownNow();
    }

    assertThat(Http.json(Http.get(ollama, "/api/ps").body()).get("models"))
        .extracting(m -> m.get("name").asText())
        .containsExactlyInAnyOrder("m0:latest", "m1:latest", "m2:latest", "m3:latest");
  }

  @Test
  void embedRequestsAreRecorded() {
    Http.post(ollama, "/api/embed", "{\"model\":\"llama3.2\",\"input\":\"x\"}", "X-Trace", "t1");

    RecordedRequest request = ollama.takeRequest(Duration.ofSeconds(5));
    assertThat(request).isNotNull();
    assertThat(request.method()).isEqualTo("POST");
    assertThat(request.path()).isEqualTo("/api/embed");
    assertThat(request.header("x-trace")).isEqualTo("t1");
    assertThat(request.bodyJson().get("input").asText()).isEqualTo("x");
  }
}
