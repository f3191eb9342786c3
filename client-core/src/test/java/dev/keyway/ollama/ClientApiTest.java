package dev.keyway.ollama;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.keyway.ollama.model.ChatRequest;
import dev.keyway.ollama.model.Fixtures;
import dev.keyway.ollama.model.ChatResponse;
import dev.keyway.ollama.model.GenerateRequest;
import dev.keyway.ollama.model.GenerateResponse;
import dev.keyway.ollama.model.Message;
import dev.keyway.ollama.model.ModelSummary;
import dev.keyway.ollama.model.Think;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import okhttp3.mockwebserver.MockResponse;
import okhttp3.mockwebserver.RecordedRequest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Request shapes and response mapping for every endpoint, against recorded Ollama payloads. */
class ClientApiTest extends MockServerTest {
  @Override
  OllamaClient client(OllamaClient.Builder builder) {
    return builder.apiKey("kw-secret-k-123").build();
  }

  @Test
  void chatSendsStreamFalseAndMapsTheAnswer() throws Exception {
    server.enqueue(json(Fixtures.read("chat-nonstream-thinking.json")));
    ChatResponse reply = client.chat(ChatRequest.builder().model("qwen3:8b")
        .addMessage(Message.system("Be brief.")).addMessage(Message.user("Why?"))
        .think(Think.HIGH).keepAlive(Duration.ofMinutes(5)).build());

    assertThat(reply.done()).isTrue();
    assertThat(reply.message().thinking()).isNotBlank();
    assertThat(reply.message().content()).isNotBlank();
    assertThat(reply.totalDuration()).isPositive();

    RecordedRequest recorded = server.takeRequest();
    assertThat(recorded.getMethod()).isEqualTo("POST");
    assertThat(recorded.getPath()).isEqualTo("/api/chat");
    assertThat(recorded.getHeader("Content-Type")).startsWith("application/json");
    assertThat(recorded.getHeader("Accept")).isEqualTo("application/json");
    assertThat(recorded.getHeader("X-API-Key")).isEqualTo("kw-secret-k-123");
    assertThat(recorded.getHeader("User-Agent")).startsWith("keyway-ollama/");
    JsonNode body = JSON.readTree(recorded.getBody().readUtf8());
    assertThat(body.get("stream").asBoolean()).isFalse();
    assertThat(body.get("model").asText()).isEqualTo("qwen3:8b");
    assertThat(body.get("think").asText()).isEqualTo("high");
    assertThat(body.get("keep_alive").asInt()).isEqualTo(300);
    assertThat(body.get("messages").get(1).get("role").asText()).isEqualTo("user");
  }

  @Test
  void chatStreamSendsStreamTrueAndAccumulatesThinkingTextAndToolCalls() throws Exception {
    server.enqueue(ndjson(Fixtures.read("chat-stream-thinking-tool-calls.ndjson")));
    List<ChatResponse> chunks = new ArrayList<>();
    ChatResponse whole;
    try (OllamaStream<ChatResponse> stream = client.chatStream(
        ChatRequest.builder().model("qwen3:8b").addMessage(Message.user("weather?")).build())) {
      stream.forEach(chunks::add);
      whole = stream.result();
    }
    RecordedRequest recorded = server.takeRequest();
    assertThat(recorded.getHeader("Accept")).isEqualTo("application/x-ndjson");
    assertThat(JSON.readTree(recorded.getBody().readUtf8()).get("stream").asBoolean()).isTrue();

    StringBuilder thinking = new StringBuilder();
    StringBuilder content = new StringBuilder();
    long toolCalls = 0;
    for (ChatResponse c : chunks) {
      thinking.append(c.message().thinking() == null ? "" : c.message().thinking());
      content.append(c.message().content());
      toolCalls += c.message().toolCalls().size();
    }
    assertThat(chunks.get(chunks.size() - 1).done()).isTrue();
    assertThat(whole.message().thinking()).isEqualTo(thinking.toString());
    assertThat(whole.message().content()).isEqualTo(content.toString());
    assertThat(whole.message().toolCalls()).hasSize((int) toolCalls).hasSizeGreaterThanOrEqualTo(2);
    assertThat(whole.message().toolCalls().get(0).function().name()).isNotBlank();
    assertThat(whole.message().toolCalls().get(0).function().arguments()).isNotEmpty();
    assertThat(whole.doneReason()).isEqualTo(chunks.get(chunks.size() - 1).doneReason());
    assertThat(whole.evalCount()).isEqualTo(chunks.get(chunks.size() - 1).evalCount());
  }

  @Test
  void toolCallsRidingOnTheDoneChunkAreCollected() {
    server.enqueue(ndjson(Fixtures.read("chat-stream-tool-calls-in-final-chunk.ndjson")));
    try (OllamaStream<ChatResponse> stream = client.chatStream(
        ChatRequest.builder().model("m").addMessage(Message.user("x")).build())) {
      assertThat(stream.result().message().toolCalls()).isNotEmpty();
    }
  }

  @Test
  void streamIsAlsoAJavaStream() {
    server.enqueue(ndjson(Fixtures.read("chat-stream-basic.ndjson")));
    try (OllamaStream<ChatResponse> stream = client.chatStream(
        ChatRequest.builder().model("m").addMessage(Message.user("x")).build())) {
      String text = stream.stream().map(c -> c.message().content()).reduce("", String::concat);
      assertThat(text).contains("<").contains("&").contains("λ");
    }
  }

  @Test
  void generateSendsEveryFieldAndStreamFalse() throws Exception {
    server.enqueue(json(Fixtures.read("generate-nonstream-with-context.json")));
    GenerateResponse reply = client.generate(GenerateRequest.builder().model("llama3.2")
        .prompt("Why?").system("Be brief.").suffix("end").raw(false).context(List.of(1, 2)).build());
    assertThat(reply.response()).isNotBlank();
    assertThat(reply.context()).isNotEmpty();
    RecordedRequest recorded = server.takeRequest();
    assertThat(recorded.getPath()).isEqualTo("/api/generate");
    JsonNode body = JSON.readTree(recorded.getBody().readUtf8());
    assertThat(body.get("stream").asBoolean()).isFalse();
    assertThat(body.get("system").asText()).isEqualTo("Be brief.");
    assertThat(body.get("suffix").asText()).isEqualTo("end");
    assertThat(body.get("context").toString()).isEqualTo("[1,2]");
  }

  @Test
  void generateStreamDecodesTheRecordedStream() {
    server.enqueue(ndjson(Fixtures.read("generate-stream.ndjson")));
    try (OllamaStream<GenerateResponse> stream =
        client.generateStream(GenerateRequest.builder().model("gemma4").prompt("p").build())) {
      GenerateResponse whole = stream.result();
      assertThat(whole.done()).isTrue();
      assertThat(whole.response()).isNotBlank();
      assertThat(whole.context()).isNotEmpty();
    }
  }

  @Test
  void listModelsReadsTagsWithDetailsAndCapabilities() throws Exception {
    server.enqueue(json(Fixtures.read("tags.json")));
    List<ModelSummary> models = client.listModels();
    assertThat(models).isNotEmpty();
    assertThat(models.get(0).name()).isNotBlank();
    assertThat(models.get(0).details().parameterSize()).isNotBlank();
    assertThat(models).anySatisfy(m -> assertThat(m.capabilities()).isNotEmpty());
    RecordedRequest recorded = server.takeRequest();
    assertThat(recorded.getMethod()).isEqualTo("GET");
    assertThat(recorded.getPath()).isEqualTo("/api/tags");
  }

  @Test
  void versionReadsApiVersion() throws Exception {
    server.enqueue(json(Fixtures.read("version.json")));
    assertThat(client.version()).matches("\\d+\\.\\d+.*");
    assertThat(server.takeRequest().getPath()).isEqualTo("/api/version");
  }

  @ParameterizedTest
  @ValueSource(strings = {"/ollama", "/ollama/", "/ollama//"})
  void pathPrefixOfAReverseProxyIsKept(String prefix) throws Exception {
    try (OllamaClient prefixed =
        OllamaClient.builder().baseUrl(server.url(prefix).toString()).build()) {
      server.enqueue(json(Fixtures.read("tags-empty.json")));
      assertThat(prefixed.listModels()).isEmpty();
      assertThat(server.takeRequest().getPath()).isEqualTo("/ollama/api/tags");
    }
  }

  @Test
  void unknownFieldsAreIgnored() {
    server.enqueue(json("{\"model\":\"m\",\"future_field\":{\"x\":[1]},\"message\":{\"role\":\"assistant\","
        + "\"content\":\"hi\",\"new_thing\":true},\"done\":true}"));
    assertThat(client.chat(ChatRequest.builder().model("m").build()).message().content()).isEqualTo("hi");
  }

  @Test
  void unaryAnswerThatIsNotJsonSaysWhatCameBack() {
    server.enqueue(new MockResponse().setHeader("Content-Type", "text/html")
        .setBody("<html><body>Please log in</body></html>"));
    org.assertj.core.api.Assertions.assertThatThrownBy(
            () -> client.chat(ChatRequest.builder().model("m").build()))
        .isInstanceOf(OllamaException.class)
        .hasMessageContaining("text/html")
        .hasMessageContaining("Please log in");
  }

  @Test
  void keepsMoreThanOkHttpsFiveIdleConnectionsForConcurrentCallers() throws Exception {
    int callers = 12;
    for (int i = 0; i < 3 * callers; i++) {
      server.enqueue(json(Fixtures.read("chat-nonstream-basic.json")).setBodyDelay(150, java.util.concurrent.TimeUnit.MILLISECONDS));
    }
    ChatRequest request = ChatRequest.builder().model("m").addMessage(Message.user("hi")).build();
    java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(callers);
    try {
      for (int round = 0; round < 3; round++) {
        List<java.util.concurrent.Future<ChatResponse>> calls = new ArrayList<>();
        for (int i = 0; i < callers; i++) {
          calls.add(pool.submit(() -> client.chat(request)));
        }
        for (var call : calls) {
          call.get(10, java.util.concurrent.TimeUnit.SECONDS);
        }
      }
    } finally {
      pool.shutdownNow();
    }
    int connections = 0;
    for (int i = 0; i < 3 * callers; i++) {
      if (server.takeRequest().getSequenceNumber() == 0) {
        connections++;
      }
    }
    // OkHttp's default pool keeps 5 idle: rounds 2 and 3 would each open about 7 more.
    assertThat(connections).isLessThanOrEqualTo(callers + 2);
  }
}
