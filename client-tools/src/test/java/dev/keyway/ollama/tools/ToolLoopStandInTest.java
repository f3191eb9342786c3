package dev.keyway.ollama.tools;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.fasterxml.jackson.databind.JsonNode;
import dev.keyway.ollama.OllamaClient;
import dev.keyway.ollama.model.ChatRequest;
import dev.keyway.ollama.model.Message;
import dev.keyway.ollama.testkit.OllamaStandIn;
import dev.keyway.ollama.testkit.OllamaStandInExtension;
import dev.keyway.ollama.testkit.RecordedRequest;
import dev.keyway.ollama.testkit.ScriptedModel;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The loop against the testkit's stand-in, whose scripted model asks for the same tools on every
 * turn: method tools end to end, behind a required key, and the default round limit.
 */
class ToolLoopStandInTest {
  static final String KEY = "kw-secret-tools-standin";

  @RegisterExtension
  final OllamaStandInExtension ollama = OllamaStandInExtension.with(b -> b
      .requireApiKey(KEY)
      .model(ScriptedModel.named("llama3.2").answer("Let me check.")
          .toolCall("add", Map.of("a", 2, "b", 3))
          .toolCall("greet", Map.of("name", "Ada"))));

  public static final class Helpers {
    final List<String> calls = new ArrayList<>();

    @ToolMethod(description = "Adds two integers")
    public int add(@Param("a") int a, @Param("b") int b) {
      calls.add("add");
      return a + b;
    }

    @ToolMethod(description = "Greets someone")
    public String greet(@Param(value = "name", description = "Who to greet") String name) {
      calls.add("greet");
      return "Hello, " + name + "!";
    }
  }

  final Helpers helpers = new Helpers();
  OllamaClient client;

  @BeforeEach
  void setUp() {
    client = OllamaClient.builder().baseUrl(ollama.standIn().baseUrl()).apiKey(KEY).build();
  }

  @AfterEach
  void tearDown() {
    client.close();
  }

  static ChatRequest ask() {
    return ChatRequest.builder().model("llama3.2").addMessage(Message.user("Sum and greet"))
        .build();
  }

  @Test
  void defaultLimitStopsAModelThatNeverStopsCallingTools() {
    ToolLoopLimitException e = catchThrowableOfType(ToolLoopLimitException.class,
        () -> ToolLoop.of(client, Toolbox.fromMethods(helpers)).run(ask()));

    assertThat(e.maxRounds()).isEqualTo(8);
    assertThat(e).hasMessageContaining("[add, greet] after 8 rounds")
        .hasMessageContaining("withMaxRounds");
    OllamaStandIn standIn = ollama.standIn();
    assertThat(standIn.requestCount()).isEqualTo(8);
    assertThat(helpers.calls).hasSize(14);
    assertThat(e.messages()).hasSize(1 + 7 * 3 + 1);
  }

  @Test
  void streamedRoundsSendMethodResultsWithTheServersCallIds() {
    List<String> tokens = new ArrayList<>();

    catchThrowableOfType(ToolLoopLimitException.class, () -> ToolLoop.of(client,
        Toolbox.fromMethods(helpers)).withMaxRounds(2).runStream(ask(), tokens::add));

    assertThat(String.join("", tokens)).isEqualTo("Let me check.Let me check.");
    List<RecordedRequest> requests = ollama.standIn().requests();
    assertThat(requests).hasSize(2);
    JsonNode first = requests.get(0).bodyJson();
    assertThat(first.get("stream").asBoolean()).isTrue();
    assertThat(first.at("/tools/0/function/parameters")).isEqualTo(Wire.parse("""
        {"type":"object","properties":{"a":{"type":"integer"},"b":{"type":"integer"}},
         "required":["a","b"]}"""));
    assertThat(first.at("/tools/1/function/parameters/properties/name/description").asText())
        .isEqualTo("Who to greet");
    JsonNode messages = requests.get(1).bodyJson().get("messages");
    assertThat(messages).hasSize(4);
    assertThat(messages.get(1).get("content").asText()).isEqualTo("Let me check.");
    String addId = messages.get(1).at("/tool_calls/0/id").asText();
    assertThat(addId).startsWith("call_");
    assertThat(messages.get(2).get("tool_call_id").asText()).isEqualTo(addId);
    assertThat(messages.get(2).get("content").asText()).isEqualTo("5");
    assertThat(messages.get(3).get("tool_name").asText()).isEqualTo("greet");
    assertThat(messages.get(3).get("content").asText()).isEqualTo("Hello, Ada!");
  }
}
