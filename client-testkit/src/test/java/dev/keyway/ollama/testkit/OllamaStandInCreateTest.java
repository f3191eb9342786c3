package dev.keyway.ollama.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** {@code /api/create}, from a model or from uploaded blobs. */
class OllamaStandInCreateTest {
  private OllamaStandIn ollama =
      OllamaStandIn.builder().model(ScriptedModel.named("llama3.2").answer("It's-a me!")).build();

  @AfterEach
  void close() {
    ollama.close();
  }

  private static List<String> statuses(String ndjson) {
    return Http.lines(ndjson).stream()
        .map(line -> line.has("error") ? "error: " + line.get("error").asText() : line.get("status").asText())
        .collect(Collectors.toList());
  }

  private static String sha256(byte[] bytes) throws Exception {
    return "sha256:" + HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
  }

  @Test
  void createFromAModelStreamsLayersAndTheNewModelKeepsTheScript() {
    HttpResponse<String> response = Http.post(ollama, "/api/create",
        "{\"model\":\"mario\",\"from\":\"llama3.2\",\"system\":\"You are Mario from Super Mario Bros.\","
            + "\"parameters\":{\"temperature\":0.7,\"stop\":[\"<|eot_id|>\"]}}");

    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(response.headers().firstValue("Content-Type")).hasValue("application/x-ndjson");
    List<String> statuses = statuses(response.body());
    assertThat(statuses.subList(statuses.size() - 2, statuses.size())).containsExactly("writing manifest", "success");
    List<String> layers = statuses.subList(0, statuses.size() - 2);
    assertThat(layers).allMatch(s -> s.matches("(using existing|creating new) layer sha256:[0-9a-f]{64}"));
    assertThat(layers.get(0)).startsWith("using existing layer"); // the weights
    assertThat(layers).filteredOn(s -> s.startsWith("creating new layer")).hasSize(2); // system, parameters

    JsonNode show = Http.json(Http.post(ollama, "/api/show", "{\"model\":\"mario\"}").body());
    assertThat(show.get("system").asText()).isEqualTo("You are Mario from Super Mario Bros.");
    assertThat(show.get("parameters").asText()).isEqualTo(
        "temperature                    0.7\nstop                           \"<|eot_id|>\"");
    assertThat(show.get("modelfile").asText()).contains("\nSYSTEM You are Mario from Super Mario Bros.\n",
        "\nPARAMETER stop \"<|eot_id|>\"\n");
    JsonNode chat = Http.json(Http.post(ollama, "/api/chat",
        "{\"model\":\"mario\",\"stream\":false,\"messages\":[{\"role\":\"user\",\"content\":\"Who?\"}]}").body());
    assertThat(chat.at("/message/content").asText()).isEqualTo("It's-a me!");
    assertThat(Http.json(Http.get(ollama, "/api/tags").body()).at("/models/0/name").asText())
        .isEqualTo("mario:latest");
  }

  @Test
  void createWithoutStreamingAnswersSuccess() {
    HttpResponse<String> response =
        Http.post(ollama, "/api/create", "{\"model\":\"m\",\"from\":\"llama3.2\",\"stream\":false}");

    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(response.headers().firstValue("Content-Type")).hasValue("application/json");
    assertThat(response.body()).isEqualTo("{\"status\":\"success\"}");
  }

  @Test
  void createFromAModelTheStandInLacksPullsItFirstAsOllamaDoes() {
    List<String> statuses = statuses(
        Http.post(ollama, "/api/create", "{\"model\":\"mine\",\"from\":\"gemma3\"}").body());

    assertThat(statuses.get(0)).isEqualTo("pulling manifest");
    assertThat(statuses).containsSubsequence("verifying sha256 digest", "writing manifest", "success",
        "writing manifest", "success");
    assertThat(Http.json(Http.get(ollama, "/api/tags").body()).get("models").findValuesAsText("name"))
        .containsExactly("mine:latest", "gemma3:latest", "llama3.2:latest");
  }

  @Test
  void createFromAModelTheRegistryLacksFails() {
    HttpResponse<String> streamed =
        Http.post(ollama, "/api/create", "{\"model\":\"x\",\"from\":\"does-not-exist\"}");
    HttpResponse<String> unary =
        Http.post(ollama, "/api/create", "{\"model\":\"x\",\"from\":\"does-not-exist\",\"stream\":false}");

    assertThat(streamed.statusCode()).isEqualTo(200);
    assertThat(statuses(streamed.body()))
        .containsExactly("pulling manifest", "error: pull model manifest: file does not exist");
    assertThat(unary.statusCode()).isEqualTo(500);
    assertThat(unary.body()).isEqualTo("{\"error\":\"pull model manifest: file does not exist\"}");
  }

  @Test
  void createWithNeitherFromNorFilesIs400InBothModes() {
    for (String stream : new String[] {"", ",\"stream\":false"}) {
      HttpResponse<String> response = Http.post(ollama, "/api/create", "{\"model\":\"x\"" + stream + "}");

      assertThat(response.statusCode()).isEqualTo(400);
      assertThat(response.headers().firstValue("Content-Type")).hasValue("application/json");
      assertThat(response.body()).isEqualTo("{\"error\":\"neither 'from' or 'files' was specified\"}");
    }
    HttpResponse<String> noName = Http.post(ollama, "/api/create", "{\"from\":\"llama3.2\"}");
    assertThat(noName.statusCode()).isEqualTo(400);
    assertThat(noName.body()).isEqualTo("{\"error\":\"invalid model name\"}");
  }

  @Test
  void createFromUploadedFiles() throws Exception {
    byte[] gguf = "GGUF and some weights".getBytes(StandardCharsets.UTF_8);
    String digest = sha256(gguf);
    assertThat(Http.postBytes(ollama, "/api/blobs/" + digest, gguf).statusCode()).isEqualTo(201);

    HttpResponse<String> response = Http.post(ollama, "/api/create",
        "{\"model\":\"my-gguf-model\",\"files\":{\"test.gguf\":\"" + digest + "\"}}");

    assertThat(response.statusCode()).isEqualTo(200);
    List<String> statuses = statuses(response.body());
    assertThat(statuses.get(0)).isEqualTo("parsing GGUF");
    assertThat(statuses).contains("using existing layer " + digest);
    assertThat(statuses.subList(statuses.size() - 2, statuses.size())).containsExactly("writing manifest", "success");
    JsonNode show = Http.json(Http.post(ollama, "/api/show", "{\"model\":\"my-gguf-model\"}").body());
    assertThat(show.get("modelfile").asText()).contains("FROM /root/.ollama/models/blobs/" + digest.replace(':', '-'));
  }

  @Test
  void createFromFilesChecksThemBeforeStreaming() throws Exception {
    String notUploaded = sha256("nothing".getBytes(StandardCharsets.UTF_8));

    HttpResponse<String> missing = Http.post(ollama, "/api/create",
        "{\"model\":\"x\",\"files\":{\"test.gguf\":\"" + notUploaded + "\"}}");
    HttpResponse<String> absolute = Http.post(ollama, "/api/create",
        "{\"model\":\"x\",\"files\":{\"/etc/test.gguf\":\"" + notUploaded + "\"}}");
    HttpResponse<String> badDigest = Http.post(ollama, "/api/create",
        "{\"model\":\"x\",\"files\":{\"test.gguf\":\"sha256:abc\"}}");

    assertThat(missing.statusCode()).isEqualTo(400);
    assertThat(missing.body()).isEqualTo("{\"error\":\"blob not found for test.gguf (digest " + notUploaded
        + "): file does not exist\"}");
    assertThat(absolute.statusCode()).isEqualTo(400);
    assertThat(absolute.body()).isEqualTo("{\"error\":\"file path must be relative: /etc/test.gguf\"}");
    assertThat(badDigest.statusCode()).isEqualTo(400);
    assertThat(badDigest.body()).isEqualTo("{\"error\":\"invalid digest for test.gguf: invalid digest format\"}");
    HttpResponse<String> none = Http.post(ollama, "/api/create", "{\"model\":\"x\",\"files\":{}}");
    assertThat(none.statusCode()).isEqualTo(400);
    assertThat(none.body()).isEqualTo("{\"error\":\"unknown type\"}");
    assertThat(Http.json(Http.get(ollama, "/api/tags").body()).get("models")).hasSize(1);
  }
}
