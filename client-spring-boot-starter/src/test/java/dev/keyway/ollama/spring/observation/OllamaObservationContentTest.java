package dev.keyway.ollama.spring.observation;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.keyway.ollama.model.ChatRequest;
import dev.keyway.ollama.model.ChatResponse;
import dev.keyway.ollama.model.Message;
import dev.keyway.ollama.model.ToolCall;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** {@link GenAiContent}: the GenAI message JSON, checked by parsing it with Jackson. */
class OllamaObservationContentTest {
  static final String AWKWARD = "quote \" backslash \\ newline \n tab \t bell \u0007 line-sep \u2028 é 🙂";
  final ObjectMapper json = new ObjectMapper();

  @Test
  void everyKindOfMessageIsValidJsonInTheConventionsShape() throws Exception {
    Map<String, Object> args = new LinkedHashMap<>();
    args.put("city", AWKWARD);
    args.put("days", 3);
    args.put("tags", List.of("a", true));
    ToolCall call = new ToolCall("call_1", new ToolCall.Function(0, "weather", args));
    Message asking = new Message(Message.Role.ASSISTANT, "", "let me think", List.of(), List.of(call), null, null);
    ChatRequest request = ChatRequest.builder().model("m")
        .addMessage(Message.system("be brief"))
        .addMessage(Message.user(AWKWARD))
        .addMessage(asking)
        .addMessage(Message.tool("weather", "call_1", "rainy"))
        .build();
    JsonNode input = json.readTree(new GenAiContent(1000).inputMessages(request));

    assertThat(input).hasSize(4);
    assertThat(input.get(0).get("role").asText()).isEqualTo("system");
    assertThat(input.get(1).get("parts").get(0).get("content").asText()).isEqualTo(AWKWARD);
    JsonNode parts = input.get(2).get("parts");
    assertThat(parts.get(0).get("type").asText()).isEqualTo("reasoning");
    assertThat(parts.get(1).get("type").asText()).isEqualTo("tool_call");
    assertThat(parts.get(1).get("id").asText()).isEqualTo("call_1");
    assertThat(parts.get(1).get("name").asText()).isEqualTo("weather");
    assertThat(parts.get(1).get("arguments").get("city").asText()).isEqualTo(AWKWARD);
    assertThat(parts.get(1).get("arguments").get("days").asInt()).isEqualTo(3);
    assertThat(parts.get(1).get("arguments").get("tags").get(1).asBoolean()).isTrue();
    JsonNode answer = input.get(3).get("parts").get(0);
    assertThat(answer.get("type").asText()).isEqualTo("tool_call_response");
    assertThat(answer.get("id").asText()).isEqualTo("call_1");
    assertThat(answer.get("response").asText()).isEqualTo("rainy");
  }

  @Test
  void anAnswerIsOneAssistantMessageWithItsFinishReason() throws Exception {
    ChatResponse response = new ChatResponse("m", null, null, null,
        new Message(Message.Role.ASSISTANT, AWKWARD, "hmm", List.of(), List.of(), null, null),
        true, "length", null, null, null, null, null, null, null, List.of());
    JsonNode output = json.readTree(new GenAiContent(1000).outputMessages(response));
    assertThat(output).hasSize(1);
    assertThat(output.get(0).get("role").asText()).isEqualTo("assistant");
    assertThat(output.get(0).get("finish_reason").asText()).isEqualTo("length");
    assertThat(output.get(0).get("parts").get(0).get("content").asText()).isEqualTo("hmm");
    assertThat(output.get(0).get("parts").get(1).get("content").asText()).isEqualTo(AWKWARD);
  }

  @Test
  void aCutNeverSplitsASurrogatePair() throws Exception {
    String text = "ab🙂cd"; // the emoji is chars 2 and 3
    JsonNode input = json.readTree(new GenAiContent(3).inputMessages(
        ChatRequest.builder().model("m").addMessage(Message.user(text)).build()));
    assertThat(input.get(0).get("parts").get(0).get("content").asText()).isEqualTo("ab…");
  }
}
