package dev.keyway.ollama.tools;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.keyway.ollama.OllamaClient;
import dev.keyway.ollama.model.ChatRequest;
import dev.keyway.ollama.model.Message;
import dev.keyway.ollama.model.Tool;
import java.util.ArrayList;
import java.util.List;
import okhttp3.mockwebserver.MockResponse;
import okhttp3.mockwebserver.MockWebServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The loop against recorded Ollama payloads: what it sends each round and when it stops. */
class ToolLoopTest {
  static final String KEY = "kw-secret-tools-loop";

  record WeatherArgs(@JsonPropertyDescription("The city to get the weather for") String city) {}

  record CityArgs(String city) {}

  final List<String> cities = new ArrayList<>();
  final Toolbox toolbox = Toolbox.of(
      ToolFunction.of("get_weather", "Get the weather in a given city", WeatherArgs.class, a -> {
        cities.add(a.city());
        return "11 degrees celsius";
      }));

  MockWebServer server;
  OllamaClient client;

  @BeforeEach
  void setUp() throws Exception {
    server = new MockWebServer();
    server.start();
    client = OllamaClient.builder().baseUrl(server.url("/").toString()).apiKey(KEY).build();
  }

  @AfterEach
  void tearDown() throws Exception {
    client.close();
    server.shutdown();
  }

  static ChatRequest ask(String question) {
    return ChatRequest.builder().model("llama3.2").addMessage(Message.user(question)).build();
  }

  JsonNode takeBody() throws Exception {
    var recorded = server.takeRequest();
    assertThat(recorded.getPath()).isEqualTo("/api/chat");
    assertThat(recorded.getHeader("X-API-Key")).isEqualTo(KEY);
    return Wire.parse(recorded.getBody().readUtf8());
  }

  @Test
  void unaryLoopRunsTheToolAndSendsItsResultBack() throws Exception {
    server.enqueue(Wire.json("chat-nonstream-tool-calls.json"));
    server.enqueue(Wire.json("chat-nonstream-tool-result-answer.json"));

    ToolLoop.Result result =
        ToolLoop.of(client, toolbox).run(ask("what is the weather in Toronto?"));

    assertThat(result.response().message().content())
        .isEqualTo("The current temperature in Toronto is 11°C.");
    assertThat(result.rounds()).isEqualTo(2);
    assertThat(cities).containsExactly("Tokyo");
    assertThat(result.toolResults()).singleElement()
        .satisfies(r -> assertThat(r.toolCallId()).isEqualTo("call_x1y2z3w4"));
    assertThat(result.messages()).extracting(Message::role)
        .containsExactly("user", "assistant", "tool", "assistant");

    JsonNode expected = Wire.tree("chat-request-tool-result.json");
    JsonNode first = takeBody();
    assertThat(first.get("stream").asBoolean()).isFalse();
    assertThat(first.get("tools")).isEqualTo(expected.get("tools"));
    assertThat(first.get("messages")).hasSize(1);

    JsonNode second = takeBody();
    assertThat(second.get("tools")).isEqualTo(expected.get("tools"));
    // The fixture's conversation asked about Toronto; the recorded tool call is for Tokyo.
    ArrayNode sent = second.get("messages").deepCopy();
    ((ObjectNode) sent.get(1).at("/tool_calls/0/function/arguments")).put("city", "Toronto");
    assertThat(sent).isEqualTo(expected.get("messages"));
  }

  @Test
  void parallelCallsAreAllAnsweredInOrder() throws Exception {
    Toolbox two = Toolbox.of(
        ToolFunction.of("get_temperature", "t", CityArgs.class, a -> "22°C in " + a.city()),
        ToolFunction.of("get_conditions", "c", CityArgs.class, a -> "sunny in " + a.city()));
    server.enqueue(Wire.json("chat-nonstream-parallel-tool-calls.json"));
    server.enqueue(Wire.json("chat-nonstream-tool-result-answer.json"));

    ToolLoop.Result result = ToolLoop.of(client, two).run(ask("Weather in New York?"));

    assertThat(result.toolResults()).extracting(ToolResult::content)
        .containsExactly("22°C in New York", "sunny in New York");
    takeBody();
    JsonNode messages = takeBody().get("messages");
    assertThat(messages).hasSize(4);
    assertThat(messages.get(2).get("role").asText()).isEqualTo("tool");
    assertThat(messages.get(2).get("tool_name").asText()).isEqualTo("get_temperature");
    assertThat(messages.get(2).get("tool_call_id").asText()).isEqualTo("call_m4d8s1kf");
    assertThat(messages.get(2).get("content").asText()).isEqualTo("22°C in New York");
    assertThat(messages.get(3).get("tool_name").asText()).isEqualTo("get_conditions");
    assertThat(messages.get(3).get("tool_call_id").asText()).isEqualTo("call_r9e2u6jt");
  }

  @Test
  void badArgumentsGoBackToTheModelAndAreVisibleToTheCaller() throws Exception {
    server.enqueue(Wire.json("chat-nonstream-tool-calls.json").setBody(
        Wire.read("chat-nonstream-tool-calls.json").replace("\"city\"", "\"town\"")));
    server.enqueue(Wire.json("chat-nonstream-tool-calls.json"));
    server.enqueue(Wire.json("chat-nonstream-tool-result-answer.json"));

    ToolLoop.Result result = ToolLoop.of(client, toolbox).run(ask("weather?"));

    assertThat(result.rounds()).isEqualTo(3);
    assertThat(result.toolResults()).hasSize(2);
    ToolResult bad = result.toolResults().get(0);
    assertThat(bad.error().reason()).isEqualTo(ToolCallException.Reason.INVALID_ARGUMENTS);
    assertThat(result.toolResults().get(1).isError()).isFalse();
    assertThat(cities).containsExactly("Tokyo");
    takeBody();
    JsonNode toolMessage = takeBody().get("messages").get(2);
    assertThat(toolMessage.get("tool_name").asText()).isEqualTo("get_weather");
    assertThat(toolMessage.get("content").asText()).isEqualTo(bad.content())
        .startsWith("Error: Invalid arguments for tool 'get_weather': required property 'city'");
  }

  @Test
  void roundLimitThrowsWithTheCountAndHowToRaiseIt() throws Exception {
    for (int i = 0; i < 3; i++) {
      server.enqueue(Wire.json("chat-nonstream-tool-calls.json"));
    }

    ToolLoopLimitException e = catchThrowableOfType(ToolLoopLimitException.class,
        () -> ToolLoop.of(client, toolbox).withMaxRounds(2).run(ask("weather?")));

    assertThat(e.maxRounds()).isEqualTo(2);
    assertThat(e).hasMessage("the model still asked for tools [get_weather] after 2 rounds"
        + " (chat calls), the limit of this ToolLoop; raise it with ToolLoop.withMaxRounds(n)"
        + " if the task needs more");
    assertThat(server.getRequestCount()).isEqualTo(2);
    assertThat(cities).hasSize(1);
    assertThat(e.messages()).extracting(Message::role)
        .containsExactly("user", "assistant", "tool", "assistant");
  }

  @Test
  void maxRoundsMustBePositive() {
    ToolLoop loop = ToolLoop.of(client, toolbox);
    assertThat(loop.maxRounds()).isEqualTo(ToolLoop.DEFAULT_MAX_ROUNDS).isEqualTo(8);
    assertThatThrownBy(() -> loop.withMaxRounds(0))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("was 0");
  }

  @Test
  void streamedLoopDeliversTokensAndCollectsToolCallsFromChunks() throws Exception {
    server.enqueue(Wire.ndjson("chat-stream-tool-calls.ndjson"));
    server.enqueue(Wire.ndjson("chat-stream-basic.ndjson"));
    List<String> tokens = new ArrayList<>();

    ToolLoop.Result result = ToolLoop.of(client, toolbox).runStream(ask("weather?"), tokens::add);

    assertThat(tokens).containsExactly("The", " sky", " looks", " blue",
        " because short wavelengths (λ < 500 nm) scatter more & reach your eyes.");
    assertThat(result.response().message().content()).isEqualTo(String.join("", tokens));
    assertThat(result.response().done()).isTrue();
    assertThat(cities).containsExactly("Tokyo");
    JsonNode first = takeBody();
    assertThat(first.get("stream").asBoolean()).isTrue();
    assertThat(first.at("/tools/0/function/parameters/required/0").asText()).isEqualTo("city");
    JsonNode second = takeBody();
    assertThat(second.get("stream").asBoolean()).isTrue();
    assertThat(second.at("/messages/1/tool_calls/0/id").asText()).isEqualTo("call_k3v9x2qa");
    assertThat(second.at("/messages/2/tool_call_id").asText()).isEqualTo("call_k3v9x2qa");
    assertThat(second.at("/messages/2/content").asText()).isEqualTo("11 degrees celsius");
  }

  @Test
  void exceptionFromTheCallbackPassesThrough() {
    server.enqueue(Wire.ndjson("chat-stream-basic.ndjson"));
    IllegalStateException stop = new IllegalStateException("stop");

    assertThatThrownBy(() -> ToolLoop.of(client, toolbox).runStream(ask("hi"), t -> {
      throw stop;
    })).isSameAs(stop);
  }

  @Test
  void requestToolsAreReplacedAndOtherSettingsKept() throws Exception {
    server.enqueue(new MockResponse().setHeader("Content-Type", "application/json")
        .setBody(Wire.read("chat-nonstream-tool-result-answer.json")));
    ChatRequest request = ask("hi").toBuilder().think(false)
        .addTool(Tool.function("other", null, "{\"type\":\"object\"}"))
        .build();

    ToolLoop.Result result = ToolLoop.of(client, toolbox).run(request);

    assertThat(result.rounds()).isEqualTo(1);
    assertThat(result.toolResults()).isEmpty();
    JsonNode body = takeBody();
    assertThat(body.get("tools")).hasSize(1);
    assertThat(body.at("/tools/0/function/name").asText()).isEqualTo("get_weather");
    assertThat(body.get("think").asBoolean()).isFalse();
  }
}
