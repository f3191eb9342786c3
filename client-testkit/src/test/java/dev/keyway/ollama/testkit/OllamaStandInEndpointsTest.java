package dev.keyway.ollama.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.http.HttpResponse;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class OllamaStandInEndpointsTest {
  private static final String DEFAULT_ANSWER = "Hello! How can I help you today? Ask me anything.";

  private OllamaStandIn ollama = OllamaStandIn.builder().build();

  @AfterEach
  void close() {
    ollama.close();
  }

  private OllamaStandIn restart(OllamaStandIn.Builder builder) {
    ollama.close();
    ollama = builder.build();
    return ollama;
  }

  @Test
  void rootSaysOllamaIsRunning() {
    HttpResponse<String> response = Http.get(ollama, "/");

    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(response.headers().firstValue("Content-Type")).hasValue("text/plain; charset=utf-8");
    assertThat(response.body()).isEqualTo("Ollama is running");
    assertThat(ollama.baseUrl()).isEqualTo("http://127.0.0.1:" + ollama.port());
  }

  @Test
  void headRootSendsLengthWithoutBody() {
    HttpResponse<String> response = Http.head(ollama, "/");

    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(response.headers().firstValue("Content-Length")).hasValue("17");
    assertThat(response.body()).isEmpty();
  }

  @Test
  void versionReportsDefaultAndConfiguredVersion() {
    assertThat(Http.json(Http.get(ollama, "/api/version").body()).get("version").asText())
        .isEqualTo("0.33.0");

    restart(OllamaStandIn.builder().version("0.12.6"));
    HttpResponse<String> response = Http.get(ollama, "/api/version");
    assertThat(response.headers().firstValue("Content-Type"))
        .hasValue("application/json; charset=utf-8");
    assertThat(response.body()).isEqualTo("{\"version\":\"0.12.6\"}");
  }

  @Test
  void tagsListsDefaultModelLikeOllama() {
    JsonNode models = Http.json(Http.get(ollama, "/api/tags").body()).get("models");

    assertThat(models).hasSize(1);
    JsonNode model = models.get(0);
    assertThat(fieldNames(model))
        .containsExactly("name", "model", "modified_at", "size", "digest", "details", "capabilities");
    assertThat(model.get("name").asText()).isEqualTo("llama3.2:latest");
    assertThat(model.get("model").asText()).isEqualTo("llama3.2:latest");
    assertThat(OffsetDateTime.parse(model.get("modified_at").asText())).isBefore(OffsetDateTime.now());
    assertThat(model.get("size").asLong()).isPositive();
    assertThat(model.get("digest").asText()).matches("[0-9a-f]{64}");
    assertThat(model.get("details").toString())
        .isEqualTo(
            "{\"parent_model\":\"\",\"format\":\"gguf\",\"family\":\"llama\",\"families\":[\"llama\"],"
                + "\"parameter_size\":\"3.2B\",\"quantization_level\":\"Q4_K_M\"}");
    assertThat(model.get("capabilities").toString()).isEqualTo("[\"completion\",\"tools\"]");
  }

  @Test
  void tagsListsScriptedModelsInOrder() {
    restart(
        OllamaStandIn.builder()
            .model(ScriptedModel.named("qwen3:8b").family("qwen3").parameterSize("8.2B")
                .quantizationLevel("Q8_0").capabilities("completion", "thinking"))
            .model(ScriptedModel.named("mini")));

    JsonNode models = Http.json(Http.get(ollama, "/api/tags").body()).get("models");

    assertThat(models).extracting(m -> m.get("name").asText()).containsExactly("qwen3:8b", "mini:latest");
    JsonNode qwen = models.get(0);
    assertThat(qwen.at("/details/family").asText()).isEqualTo("qwen3");
    assertThat(qwen.at("/details/families/0").asText()).isEqualTo("qwen3");
    assertThat(qwen.at("/details/parameter_size").asText()).isEqualTo("8.2B");
    assertThat(qwen.at("/details/quantization_level").asText()).isEqualTo("Q8_0");
    assertThat(qwen.get("capabilities").toString()).isEqualTo("[\"completion\",\"thinking\"]");
    assertThat(qwen.get("digest").asText()).isNotEqualTo(models.get(1).get("digest").asText());
  }

  @Test
  void chatStreamsOneLinePerTokenThenDone() {
    HttpResponse<String> response =
        Http.post(ollama, "/api/chat", "{\"model\":\"llama3.2\",\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}");

    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(response.headers().firstValue("Content-Type")).hasValue("application/x-ndjson");
    List<JsonNode> lines = Http.lines(response.body());
    JsonNode first = lines.get(0);
    assertThat(fieldNames(first)).containsExactly("model", "created_at", "message", "done");
    assertThat(first.get("model").asText()).isEqualTo("llama3.2");
    assertThat(first.get("created_at").asText()).endsWith("Z");
    assertThat(Instant.parse(first.get("created_at").asText())).isBeforeOrEqualTo(Instant.now());
    assertThat(first.get("message").toString()).isEqualTo("{\"role\":\"assistant\",\"content\":\"Hello\"}");
    assertThat(first.get("done").asBoolean()).isFalse();

    List<JsonNode> tokens = lines.subList(0, lines.size() - 1);
    assertThat(tokens.size()).isBetween(8, 16);
    assertThat(tokens.stream().map(l -> l.at("/message/content").asText()).collect(Collectors.joining()))
        .isEqualTo(DEFAULT_ANSWER);

    JsonNode done = lines.get(lines.size() - 1);
    assertThat(fieldNames(done))
        .containsExactly("model", "created_at", "message", "done", "done_reason", "total_duration",
            "load_duration", "prompt_eval_count", "prompt_eval_duration", "eval_count", "eval_duration");
    assertThat(done.get("message").toString()).isEqualTo("{\"role\":\"assistant\",\"content\":\"\"}");
    assertThat(done.get("done").asBoolean()).isTrue();
    assertThat(done.get("done_reason").asText()).isEqualTo("stop");
    assertThat(done.get("eval_count").asInt()).isEqualTo(tokens.size());
    assertThat(done.get("total_duration").isIntegralNumber()).isTrue();
    assertThat(done.get("total_duration").asLong())
        .isGreaterThanOrEqualTo(done.get("load_duration").asLong()
            + done.get("prompt_eval_duration").asLong() + done.get("eval_duration").asLong());
  }

  @Test
  void chatWithStreamFalseAnswersOneObject() {
    restart(OllamaStandIn.builder().model(ScriptedModel.named("m").tokens("Hel", "lo", " world")));

    HttpResponse<String> response = Http.post(ollama, "/api/chat",
        "{\"model\":\"m\",\"stream\":false,\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}");

    assertThat(response.headers().firstValue("Content-Type")).hasValue("application/json; charset=utf-8");
    assertThat(response.body()).doesNotContain("\n");
    JsonNode reply = Http.json(response.body());
    assertThat(reply.get("message").toString()).isEqualTo("{\"role\":\"assistant\",\"content\":\"Hello world\"}");
    assertThat(reply.get("done").asBoolean()).isTrue();
    assertThat(reply.get("done_reason").asText()).isEqualTo("stop");
    assertThat(reply.get("eval_count").asInt()).isEqualTo(3);
  }

  @Test
  void chatStreamsThinkingThenContentThenToolCalls() {
    Map<String, Object> args = new LinkedHashMap<>();
    args.put("city", "Tokyo");
    args.put("days", 3);
    restart(OllamaStandIn.builder().model(ScriptedModel.named("qwen3:8b")
        .thinking("Let", " me think").tokens("Sure").toolCall("get_weather", args)));

    List<JsonNode> lines = Http.lines(Http.post(ollama, "/api/chat",
        "{\"model\":\"qwen3:8b\",\"messages\":[{\"role\":\"user\",\"content\":\"Weather?\"}]}").body());

    assertThat(lines).hasSize(5);
    assertThat(lines.get(0).get("message").toString())
        .isEqualTo("{\"role\":\"assistant\",\"content\":\"\",\"thinking\":\"Let\"}");
    assertThat(lines.get(1).at("/message/thinking").asText()).isEqualTo(" me think");
    assertThat(lines.get(2).get("message").toString()).isEqualTo("{\"role\":\"assistant\",\"content\":\"Sure\"}");
    JsonNode call = lines.get(3).at("/message/tool_calls/0");
    assertThat(lines.get(3).at("/message/content").asText()).isEmpty();
    assertThat(call.get("id").asText()).matches("call_[a-z0-9]{8}");
    assertThat(call.get("function").toString())
        .isEqualTo("{\"index\":0,\"name\":\"get_weather\",\"arguments\":{\"city\":\"Tokyo\",\"days\":3}}");
    assertThat(lines.get(4).get("done").asBoolean()).isTrue();
    assertThat(lines.get(4).has("tool_calls")).isFalse();
  }

  @Test
  void chatWithStreamFalseJoinsThinkingAndGathersToolCalls() {
    restart(OllamaStandIn.builder().model(ScriptedModel.named("m")
        .thinking("Hmm", ".").answer("Calling.").toolCall("a", Map.of()).toolCall("b", Map.of("x", true))));

    JsonNode message = Http.json(Http.post(ollama, "/api/chat",
        "{\"model\":\"m\",\"stream\":false,\"messages\":[{\"role\":\"user\",\"content\":\"Go\"}]}").body())
        .get("message");

    assertThat(message.get("content").asText()).isEqualTo("Calling.");
    assertThat(message.get("thinking").asText()).isEqualTo("Hmm.");
    assertThat(message.get("tool_calls")).hasSize(2);
    assertThat(message.at("/tool_calls/0/function").toString()).isEqualTo("{\"index\":0,\"name\":\"a\",\"arguments\":{}}");
    assertThat(message.at("/tool_calls/1/function/index").asInt()).isEqualTo(1);
    assertThat(message.at("/tool_calls/1/function/arguments/x").asBoolean()).isTrue();
  }

  @Test
  void thinkFalseLeavesThinkingOut() {
    restart(OllamaStandIn.builder().model(ScriptedModel.named("m").thinking("hmm").tokens("Hi")));

    List<JsonNode> lines = Http.lines(Http.post(ollama, "/api/chat",
        "{\"model\":\"m\",\"think\":false,\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}").body());

    assertThat(lines).hasSize(2);
    assertThat(lines.get(0).get("message").has("thinking")).isFalse();
  }

  @Test
  void generateStreamsResponseAndEndsWithContext() {
    restart(OllamaStandIn.builder().model(ScriptedModel.named("gemma4").tokens("That", "'s", " it")));

    HttpResponse<String> response =
        Http.post(ollama, "/api/generate", "{\"model\":\"gemma4\",\"prompt\":\"Why is the sky blue?\"}");

    assertThat(response.headers().firstValue("Content-Type")).hasValue("application/x-ndjson");
    List<JsonNode> lines = Http.lines(response.body());
    assertThat(lines).hasSize(4);
    assertThat(fieldNames(lines.get(0))).containsExactly("model", "created_at", "response", "done");
    assertThat(lines.get(0).get("response").asText()).isEqualTo("That");
    JsonNode done = lines.get(3);
    assertThat(fieldNames(done))
        .containsExactly("model", "created_at", "response", "done", "done_reason", "context",
            "total_duration", "load_duration", "prompt_eval_count", "prompt_eval_duration",
            "eval_count", "eval_duration");
    assertThat(done.get("response").asText()).isEmpty();
    assertThat(done.get("context").isArray()).isTrue();
    assertThat(done.get("context").size())
        .isEqualTo(done.get("prompt_eval_count").asInt() + done.get("eval_count").asInt());
  }

  @Test
  void generateWithStreamFalseJoinsResponse() {
    JsonNode reply = Http.json(Http.post(ollama, "/api/generate",
        "{\"model\":\"llama3.2\",\"prompt\":\"Hi\",\"stream\":false}").body());

    assertThat(reply.get("response").asText()).isEqualTo(DEFAULT_ANSWER);
    assertThat(reply.get("done").asBoolean()).isTrue();
    assertThat(reply.get("context").size()).isPositive();
  }

  @Test
  void numPredictStopsEarlyWithLength() {
    List<JsonNode> lines = Http.lines(Http.post(ollama, "/api/generate",
        "{\"model\":\"llama3.2\",\"prompt\":\"Hi\",\"options\":{\"num_predict\":3}}").body());

    assertThat(lines).hasSize(4);
    assertThat(lines.get(3).get("done_reason").asText()).isEqualTo("length");
    assertThat(lines.get(3).get("eval_count").asInt()).isEqualTo(3);
  }

  @Test
  void modelMatchesWithOrWithoutLatestAndIsEchoed() {
    JsonNode reply = Http.json(Http.post(ollama, "/api/chat",
        "{\"model\":\"llama3.2:latest\",\"stream\":false,\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}").body());

    assertThat(reply.get("model").asText()).isEqualTo("llama3.2:latest");
  }

  @Test
  void chatWithoutMessagesOnlyLoadsTheModel() {
    HttpResponse<String> response = Http.post(ollama, "/api/chat", "{\"model\":\"llama3.2\"}");

    assertThat(response.headers().firstValue("Content-Type")).hasValue("application/json; charset=utf-8");
    JsonNode reply = Http.json(response.body());
    assertThat(fieldNames(reply)).containsExactly("model", "created_at", "message", "done", "done_reason");
    assertThat(reply.get("done_reason").asText()).isEqualTo("load");
    assertThat(reply.get("message").toString()).isEqualTo("{\"role\":\"assistant\",\"content\":\"\"}");
  }

  @Test
  void generateWithoutPromptAndKeepAliveZeroUnloads() {
    JsonNode reply = Http.json(Http.post(ollama, "/api/generate",
        "{\"model\":\"llama3.2\",\"keep_alive\":0}").body());

    assertThat(reply.toString()).contains("\"response\":\"\",\"done\":true,\"done_reason\":\"unload\"");
  }

  @Test
  void chatWithoutModelIs400() {
    HttpResponse<String> response = Http.post(ollama, "/api/chat", "{\"messages\":[]}");

    assertThat(response.statusCode()).isEqualTo(400);
    assertThat(response.headers().firstValue("Content-Type")).hasValue("application/json; charset=utf-8");
    assertThat(response.body()).isEqualTo("{\"error\":\"model is required\"}");
  }

  @Test
  void generateWithoutModelIs404() {
    HttpResponse<String> response = Http.post(ollama, "/api/generate", "{\"prompt\":\"Hi\"}");

    assertThat(response.statusCode()).isEqualTo(404);
    assertThat(response.body()).isEqualTo("{\"error\":\"model '' not found\"}");
  }

  @Test
  void unknownModelIs404() {
    HttpResponse<String> response = Http.post(ollama, "/api/chat", "{\"model\":\"nope\",\"messages\":[]}");

    assertThat(response.statusCode()).isEqualTo(404);
    assertThat(response.body()).isEqualTo("{\"error\":\"model 'nope' not found\"}");
  }

  @Test
  void badJsonIs400WithGoStyleMessage() {
    HttpResponse<String> response = Http.post(ollama, "/api/chat", "xyz");

    assertThat(response.statusCode()).isEqualTo(400);
    assertThat(response.body()).isEqualTo("{\"error\":\"invalid character 'x' looking for beginning of value\"}");
    assertThat(Http.post(ollama, "/api/chat", "").body()).isEqualTo("{\"error\":\"missing request body\"}");
    assertThat(Http.post(ollama, "/api/chat", "{\"model\":").body()).isEqualTo("{\"error\":\"unexpected EOF\"}");
    assertThat(Http.post(ollama, "/api/chat", "{\"model\":\"llama3.2\",\"stream\":\"yes\"}").body())
        .isEqualTo("{\"error\":\"json: cannot unmarshal string into Go struct field ChatRequest.stream of type bool\"}");
  }

  @Test
  void unknownPathIs404PlainText() {
    HttpResponse<String> response = Http.post(ollama, "/v1/chat/completions", "{}");

    assertThat(response.statusCode()).isEqualTo(404);
    assertThat(response.headers().firstValue("Content-Type")).hasValue("text/plain");
    assertThat(response.body()).isEqualTo("404 page not found");
  }

  @Test
  void wrongMethodIs405PlainText() {
    HttpResponse<String> response = Http.get(ollama, "/api/chat");

    assertThat(response.statusCode()).isEqualTo(405);
    assertThat(response.headers().firstValue("Content-Type")).hasValue("text/plain");
    assertThat(response.body()).isEqualTo("405 method not allowed");
    assertThat(Http.post(ollama, "/api/tags", "{}").statusCode()).isEqualTo(405);
  }

  @Test
  void escapesHtmlCharactersLikeGo() {
    restart(OllamaStandIn.builder().model(ScriptedModel.named("m").tokens("a <b> & λ")));

    String body = Http.post(ollama, "/api/chat",
        "{\"model\":\"m\",\"stream\":false,\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}").body();

    assertThat(body).contains("\"content\":\"a \\u003cb\\u003e \\u0026 λ\"");
  }

  @Test
  void recordsEachRequest() {
    Http.post(ollama, "/api/chat?x=1", "{\"model\":\"llama3.2\",\"messages\":[]}", "X-Trace", "abc");
    Http.get(ollama, "/api/tags");

    RecordedRequest chat = ollama.takeRequest();
    assertThat(chat.method()).isEqualTo("POST");
    assertThat(chat.path()).isEqualTo("/api/chat");
    assertThat(chat.query()).isEqualTo("x=1");
    assertThat(chat.header("x-trace")).isEqualTo("abc");
    assertThat(chat.headers().get("X-TRACE")).containsExactly("abc");
    assertThat(chat.body()).isEqualTo("{\"model\":\"llama3.2\",\"messages\":[]}");
    assertThat(chat.bodyJson().get("model").asText()).isEqualTo("llama3.2");
    assertThat(chat.receivedAt()).isBeforeOrEqualTo(Instant.now());
    RecordedRequest tags = ollama.takeRequest();
    assertThat(tags.query()).isNull();
    assertThat(tags.bodyJson().isMissingNode()).isTrue();
    assertThat(ollama.takeRequest(java.time.Duration.ofMillis(50))).isNull();
    assertThat(ollama.requests()).extracting(RecordedRequest::path).containsExactly("/api/chat", "/api/tags");
    assertThat(ollama.requestCount()).isEqualTo(2);
  }

  @Test
  void recordingCanBeTurnedOff() {
    restart(OllamaStandIn.builder().recordRequests(false));

    Http.get(ollama, "/api/version");

    assertThat(ollama.requestCount()).isEqualTo(1);
    assertThat(ollama.requests()).isEmpty();
  }

  private static List<String> fieldNames(JsonNode node) {
    List<String> names = new java.util.ArrayList<>();
    node.fieldNames().forEachRemaining(names::add);
    return names;
  }
}
