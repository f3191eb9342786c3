package dev.keyway.ollama.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectWriter;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.keyway.ollama.internal.Json;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Requests built with the builders serialize to exactly the recorded request bodies, with the
 * client's {@code stream} attribute and without it.
 */
class RequestSerializationTest {

  private static final String WEATHER_SCHEMA = "{\"type\":\"object\",\"properties\":{\"city\":"
      + "{\"type\":\"string\",\"description\":\"The city to get the weather for\"}},"
      + "\"required\":[\"city\"]}";

  /** Numbers compare by value: Go decodes {@code 0} and {@code 0.0} to the same float option. */
  private static final Comparator<JsonNode> NUMBERS_BY_VALUE = (a, b) -> {
    if (a.isNumber() && b.isNumber()) {
      return a.decimalValue().compareTo(b.decimalValue());
    }
    return a.equals(b) ? 0 : 1;
  };

  @Test
  void chatRequestBasic() {
    ChatRequest request = ChatRequest.builder()
        .model("llama3.2")
        .addMessage(Message.user("why is the sky blue?"))
        .build();
    assertMatchesFixture(request, ChatRequest.class, "chat-request-basic.json");
  }

  @Test
  void chatRequestImagesEncodesRawBytesAsPlainBase64() {
    String png = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAIAAACQd1PeAAAADElEQVR4nGNgYGAAAAAEAAH2FzhVAAAAAElFTkSuQmCC";
    byte[] raw = Base64.getDecoder().decode(png);
    ChatRequest request = ChatRequest.builder()
        .model("gemma3")
        .addMessage(Message.builder().content("What is in this image?").addImage(raw).build())
        .keepAlive(KeepAlive.parse("10m"))
        .options(ModelOptions.builder()
            .numCtx(8192).temperature(0.2).seed(42).stop("<end_of_turn>").build())
        .build();
    assertThat(request.messages().get(0).images()).containsExactly(png);
    assertMatchesFixture(request, ChatRequest.class, "chat-request-images.json");
  }

  @Test
  void chatRequestLogprobs() {
    ChatRequest request = ChatRequest.builder()
        .model("gemma3")
        .messages(Message.user("Hi"))
        .logprobs(true)
        .topLogprobs(2)
        .build();
    assertMatchesFixture(request, ChatRequest.class, "chat-request-logprobs.json");
  }

  @Test
  void chatRequestStructured() {
    Map<String, Object> properties = new LinkedHashMap<>();
    properties.put("age", Map.of("type", "integer"));
    properties.put("available", Map.of("type", "boolean"));
    Map<String, Object> schema = new LinkedHashMap<>();
    schema.put("type", "object");
    schema.put("properties", properties);
    schema.put("required", List.of("age", "available"));
    ChatRequest request = ChatRequest.builder()
        .model("llama3.1")
        .addMessage(Message.user("Ollama is 22 years old and busy saving the world. Return a JSON"
            + " object with the age and availability."))
        .format(Format.schema(schema))
        .options(ModelOptions.builder().temperature(0).build())
        .build();
    assertMatchesFixture(request, ChatRequest.class, "chat-request-structured.json");
    assertThat(Format.schema(schema))
        .isEqualTo(Format.schema(Fixtures.tree("chat-request-structured.json").get("format")
            .toString()));
  }

  @Test
  void chatRequestThinking() {
    ChatRequest request = ChatRequest.builder()
        .model("qwen3:8b")
        .addMessage(Message.user("How many letter r are in strawberry?"))
        .think(true)
        .build();
    assertMatchesFixture(request, ChatRequest.class, "chat-request-thinking.json");
  }

  @Test
  void chatRequestTools() {
    Map<String, Object> city = new LinkedHashMap<>();
    city.put("type", "string");
    city.put("description", "The city to get the weather for");
    Map<String, Object> schema = new LinkedHashMap<>();
    schema.put("type", "object");
    schema.put("properties", Map.of("city", city));
    schema.put("required", List.of("city"));
    ChatRequest request = ChatRequest.builder()
        .model("llama3.2")
        .addMessage(Message.user("what is the weather in tokyo?"))
        .addTool(Tool.function("get_weather", "Get the weather in a given city", schema))
        .build();
    assertMatchesFixture(request, ChatRequest.class, "chat-request-tools.json");
  }

  @Test
  void chatRequestToolResult() {
    ChatRequest request = toolResultRequest();
    assertMatchesFixture(request, ChatRequest.class, "chat-request-tool-result.json");
  }

  private static ChatRequest toolResultRequest() {
    ToolCall call = new ToolCall("call_x1y2z3w4",
        new ToolCall.Function(0, "get_weather", Map.of("city", "Toronto")));
    return ChatRequest.builder()
        .model("llama3.2")
        .messages(
            Message.user("what is the weather in Toronto?"),
            Message.builder().role(Message.Role.ASSISTANT).toolCalls(call).build(),
            Message.tool("get_weather", "call_x1y2z3w4", "11 degrees celsius"))
        .tools(List.of(Tool.function("get_weather", "Get the weather in a given city",
            WEATHER_SCHEMA)))
        .build();
  }

  @Test
  void generateRequest() {
    GenerateRequest request =
        GenerateRequest.builder().model("gemma4").prompt("Why is the sky blue?").build();
    assertMatchesFixture(request, GenerateRequest.class, "generate-request.json");
  }

  @Test
  void generateRequestWithEveryOption() {
    ModelOptions options = ModelOptions.builder()
        .numKeep(5)
        .seed(42)
        .numPredict(100)
        .put("draft_num_predict", 4)
        .topK(20)
        .topP(0.9)
        .minP(0.0)
        .typicalP(0.7)
        .repeatLastN(33)
        .temperature(0.8)
        .repeatPenalty(1.2)
        .presencePenalty(1.5)
        .frequencyPenalty(1.0)
        .put("penalize_newline", true)
        .stop("\n", "user:")
        .put("numa", false)
        .numCtx(1024)
        .numBatch(2)
        .numGpu(1)
        .mainGpu(0)
        .useMmap(true)
        .numThread(8)
        .build();
    GenerateRequest request = GenerateRequest.builder()
        .model("llama3.2").prompt("Why is the sky blue?").options(options).build();
    assertMatchesFixture(request, GenerateRequest.class, "generate-request-options.json");
    // Same keys, same order as the fixture.
    List<String> fixtureKeys = new ArrayList<>();
    Fixtures.tree("generate-request-options.json").get("options").fieldNames()
        .forEachRemaining(fixtureKeys::add);
    assertThat(options.asMap().keySet()).containsExactlyElementsOf(fixtureKeys);
  }

  @Test
  void requestsDecodeBackToEqualValues() throws JsonProcessingException {
    // The testkit reads requests the way Ollama does; values must survive the round trip.
    ChatRequest toolResult = toolResultRequest();
    assertThat(Json.MAPPER.readValue(Fixtures.read("chat-request-tool-result.json"),
        ChatRequest.class)).isEqualTo(toolResult);
    ChatRequest images = Json.MAPPER.readValue(Fixtures.read("chat-request-images.json"),
        ChatRequest.class);
    assertThat(images.keepAlive()).isEqualTo(KeepAlive.parse("10m"));
    assertThat(images.options().get("num_ctx")).isEqualTo(8192);
    assertThat(images.options().get("stop")).isEqualTo(List.of("<end_of_turn>"));
    ChatRequest thinking = Json.MAPPER.readValue(Fixtures.read("chat-request-thinking.json"),
        ChatRequest.class);
    assertThat(thinking.think()).isEqualTo(Think.enabled());
    ChatRequest structured = Json.MAPPER.readValue(
        Fixtures.read("chat-request-structured.json"), ChatRequest.class);
    assertThat(structured.format().isJson()).isFalse();
    assertThat(Json.MAPPER.readValue(
        "{\"model\":\"m\",\"format\":\"json\",\"think\":\"high\",\"keep_alive\":0.5}",
        ChatRequest.class))
        .isEqualTo(ChatRequest.builder().model("m").format(Format.json()).think(Think.HIGH)
            .keepAlive(Duration.ofMillis(500)).build());
  }

  @Test
  void streamAttributeIsWrittenOnlyWhenSet() throws JsonProcessingException {
    ChatRequest request = ChatRequest.builder().model("m").build();
    JsonNode plain = Json.MAPPER.readTree(Json.MAPPER.writeValueAsString(request));
    assertThat(plain.has("stream")).isFalse();
    JsonNode streaming = Json.MAPPER.readTree(
        Json.MAPPER.writerFor(ChatRequest.class).withAttribute("stream", Boolean.TRUE)
            .writeValueAsString(request));
    assertThat(streaming.get("stream").isBoolean()).isTrue();
    assertThat(streaming.get("stream").booleanValue()).isTrue();
    JsonNode once = Json.MAPPER.readTree(
        Json.MAPPER.writerFor(GenerateRequest.class).withAttribute("stream", Boolean.FALSE)
            .writeValueAsString(GenerateRequest.builder().model("m").build()));
    assertThat(once.get("stream").booleanValue()).isFalse();
  }

  @Test
  void emptyListsAndUnsetValuesAreLeftOut() throws JsonProcessingException {
    JsonNode chat = toTree(ChatRequest.builder().model("m").build());
    assertThat(chat.get("messages").isArray()).isTrue();
    assertThat(chat.get("messages")).isEmpty();
    assertThat(fieldNames(chat)).containsExactly("model", "messages");

    JsonNode generate = toTree(GenerateRequest.builder().model("m").build());
    assertThat(fieldNames(generate)).containsExactly("model");

    JsonNode message = toTree(Message.user("hi"));
    assertThat(fieldNames(message)).containsExactly("role", "content");
    JsonNode empty = toTree(Message.assistant(""));
    assertThat(empty.get("content").asText()).isEmpty();

    JsonNode call = toTree(ToolCall.of("f", null));
    assertThat(call.toString()).isEqualTo("{\"function\":{\"index\":0,\"name\":\"f\",\"arguments\":{}}}");
  }

  @Test
  void generateRequestWritesEverySetField() throws JsonProcessingException {
    GenerateRequest request = GenerateRequest.builder()
        .model("codellama:code")
        .prompt("def add(")
        .suffix("return c")
        .system("s")
        .template("{{ .Prompt }}")
        .context(List.of(1, 2, 3))
        .raw(false)
        .addImage(new byte[] {(byte) 0xff, 0, 1})
        .format(Format.json())
        .think(Think.LOW)
        .keepAlive(KeepAlive.forever())
        .truncate(false)
        .shift(true)
        .logprobs(true)
        .topLogprobs(0)
        .build();
    JsonNode tree = toTree(request);
    assertThat(tree.toString()).isEqualTo("{\"model\":\"codellama:code\",\"prompt\":\"def add(\","
        + "\"suffix\":\"return c\",\"system\":\"s\",\"template\":\"{{ .Prompt }}\","
        + "\"context\":[1,2,3],\"raw\":false,\"images\":[\"/wAB\"],\"format\":\"json\","
        + "\"think\":\"low\",\"keep_alive\":-1,\"truncate\":false,\"shift\":true,"
        + "\"logprobs\":true,\"top_logprobs\":0}");
    assertThat(request.toBuilder().build()).isEqualTo(request);
    assertThat(request.toBuilder().prompt("x").build().prompt()).isEqualTo("x");
  }

  @Test
  void imagesAreEncodedAsPlainStandardBase64() {
    byte[] raw = {(byte) 0xfb, (byte) 0xff, (byte) 0xfe, 0x00, 0x3e};
    Message m = Message.builder().addImage(raw).build();
    assertThat(m.images()).containsExactly("+//+AD4=");
    assertThat(GenerateRequest.builder().model("m").addImage(raw).build().images())
        .containsExactly("+//+AD4=");
    assertThat(Message.builder().addImageBase64("AAAA").build().images()).containsExactly("AAAA");
  }

  @Test
  void imagesFromAFileAreEncodedTheSameWay(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir)
      throws Exception {
    byte[] raw = {(byte) 0xfb, (byte) 0xff, (byte) 0xfe, 0x00, 0x3e};
    java.nio.file.Path png = java.nio.file.Files.write(dir.resolve("cat.png"), raw);
    assertThat(Message.builder().addImage(png).build().images()).containsExactly("+//+AD4=");
    assertThat(GenerateRequest.builder().model("m").addImage(png).build().images())
        .containsExactly("+//+AD4=");
    assertThatThrownBy(() -> Message.builder().addImage(dir.resolve("missing.png")))
        .isInstanceOf(java.io.UncheckedIOException.class)
        .hasMessageContaining("missing.png");
  }

  @Test
  void dataUrlImagesAreRejected() {
    String dataUrl = "data:image/png;base64,iVBORw0KGgo=";
    assertThatThrownBy(() -> Message.builder().addImageBase64(dataUrl))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("plain base64");
    assertThatThrownBy(() -> Message.builder().images(List.of(dataUrl)))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> GenerateRequest.builder().addImageBase64(dataUrl))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("plain base64");
    assertThatThrownBy(() -> new Message("user", "x", null, List.of(dataUrl), null, null, null))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void toStringShowsImageCountNotData() {
    byte[] raw = new byte[300];
    java.util.Arrays.fill(raw, (byte) 7);
    String base64 = Base64.getEncoder().encodeToString(raw);
    Message m = Message.builder().content("look").addImage(raw).addImage(raw).build();
    assertThat(m.toString()).doesNotContain(base64).doesNotContain("BwcH")
        .contains("images=2").contains("look");
    ChatRequest chat = ChatRequest.builder().model("m").addMessage(m).build();
    assertThat(chat.toString()).doesNotContain("BwcH").contains("images=2");
    GenerateRequest gen = GenerateRequest.builder().model("m").addImage(raw).build();
    assertThat(gen.toString()).doesNotContain("BwcH").contains("images=1");
  }

  @Test
  void keepAliveSerialization() throws JsonProcessingException {
    assertThat(write(KeepAlive.of(Duration.ofMinutes(5)))).isEqualTo("300");
    assertThat(write(KeepAlive.of(Duration.ofMillis(500)))).isEqualTo("0.5");
    assertThat(write(KeepAlive.of(Duration.ofMillis(1500)))).isEqualTo("1.5");
    assertThat(write(KeepAlive.of(Duration.ofMillis(-500)))).isEqualTo("-0.5");
    assertThat(write(KeepAlive.of(Duration.ofSeconds(-1)))).isEqualTo("-1");
    assertThat(write(KeepAlive.forever())).isEqualTo("-1");
    assertThat(write(KeepAlive.unloadNow())).isEqualTo("0");
    assertThat(write(KeepAlive.parse("1h30m"))).isEqualTo("\"1h30m\"");
    for (String ok : List.of("5m", "1h30m", "300ms", "-1m", "1.5h", "2h45m30.5s", "10us", "0",
        "+3s", ".5s")) {
      assertThat(KeepAlive.parse(ok).value()).isEqualTo(ok);
    }
    assertThat(KeepAlive.of(Duration.ofMinutes(5))).isEqualTo(KeepAlive.of(Duration.ofSeconds(300)));
    assertThat(ChatRequest.builder().model("m").keepAlive(Duration.ZERO).build().keepAlive())
        .isEqualTo(KeepAlive.unloadNow());
  }

  @Test
  void keepAliveRejectsBareNumbersAndOtherText() {
    assertThatThrownBy(() -> KeepAlive.parse("300"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("add a unit").hasMessageContaining("300");
    assertThatThrownBy(() -> KeepAlive.parse("-1"))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("add a unit");
    for (String bad : List.of("", "5 minutes", "m", "5d", "1h-30m", ".s", "five")) {
      assertThatThrownBy(() -> KeepAlive.parse(bad)).as(bad)
          .isInstanceOf(IllegalArgumentException.class);
    }
  }

  @Test
  void thinkSerialization() throws JsonProcessingException {
    assertThat(write(Think.enabled())).isEqualTo("true");
    assertThat(write(Think.disabled())).isEqualTo("false");
    assertThat(write(Think.LOW)).isEqualTo("\"low\"");
    assertThat(write(Think.MEDIUM)).isEqualTo("\"medium\"");
    assertThat(write(Think.HIGH)).isEqualTo("\"high\"");
    assertThat(write(Think.MAX)).isEqualTo("\"max\"");
    assertThat(Think.level("max")).isEqualTo(Think.MAX).hasSameHashCodeAs(Think.MAX);
    assertThat(Think.level("high")).isNotEqualTo(Think.enabled());
    assertThat(Think.HIGH.toString()).contains("high");
    assertThatThrownBy(() -> Think.level(" ")).isInstanceOf(IllegalArgumentException.class);
    assertThat(toTree(ChatRequest.builder().model("m").think(false).build()).get("think")
        .booleanValue()).isFalse();
  }

  @Test
  void formatSerialization() throws JsonProcessingException {
    assertThat(write(Format.json())).isEqualTo("\"json\"");
    assertThat(Format.json().isJson()).isTrue();
    String schema = "{\"type\":\"object\",\"properties\":{\"b\":{\"type\":\"integer\"},"
        + "\"a\":{\"type\":\"string\"}},\"required\":[\"b\",\"a\"]}";
    Format parsed = Format.schema(schema);
    assertThat(parsed.isJson()).isFalse();
    assertThat(write(parsed)).isEqualTo(schema);
    assertThat(parsed).isEqualTo(Format.schema(schema)).hasSameHashCodeAs(Format.schema(schema));
    assertThat(parsed).isNotEqualTo(Format.json());
    assertThat(parsed.toString()).contains("schema");
    assertThatThrownBy(() -> Format.schema("[1,2]"))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("JSON object");
    assertThatThrownBy(() -> Format.schema("\"json\""))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> Format.schema("{not json"))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void schemasAreDeepCopiesThatKeepOrder() {
    Map<String, Object> inner = new LinkedHashMap<>();
    inner.put("z", 1);
    inner.put("a", 2);
    Map<String, Object> schema = new LinkedHashMap<>();
    schema.put("properties", inner);
    Format format = Format.schema(schema);
    inner.put("later", 3);
    @SuppressWarnings("unchecked")
    Map<String, Object> copied =
        (Map<String, Object>) ((Map<String, Object>) format.value()).get("properties");
    assertThat(copied.keySet()).containsExactly("z", "a");
    assertThatThrownBy(() -> copied.put("x", 1)).isInstanceOf(UnsupportedOperationException.class);
  }

  @Test
  void modelOptionsAreOneOrderedMap() throws JsonProcessingException {
    ModelOptions typed = ModelOptions.builder().numPredict(5).temperature(0.1).build();
    ModelOptions free = ModelOptions.builder().put("num_predict", 5).put("temperature", 0.1).build();
    assertThat(typed).isEqualTo(free).hasSameHashCodeAs(free);
    assertThat(typed.get("num_predict")).isEqualTo(5);
    assertThat(typed.get("top_k")).isNull();
    assertThat(write(typed)).isEqualTo("{\"num_predict\":5,\"temperature\":0.1}");

    ModelOptions replaced = typed.toBuilder().put("num_predict", 9).put("temperature", null)
        .put("mirostat", 2).build();
    assertThat(write(replaced)).isEqualTo("{\"num_predict\":9,\"mirostat\":2}");
    assertThat(typed.asMap()).hasSize(2);
    assertThatThrownBy(() -> typed.asMap().put("x", 1))
        .isInstanceOf(UnsupportedOperationException.class);
    assertThat(write(ModelOptions.builder().numCtx(8192).stop(List.of("a", "b")).build()))
        .isEqualTo("{\"num_ctx\":8192,\"stop\":[\"a\",\"b\"]}");
    assertThatThrownBy(() -> ModelOptions.builder().put(" ", 1))
        .isInstanceOf(IllegalArgumentException.class);
    assertThat(typed.toString()).contains("num_predict=5");
  }

  @Test
  void buildersNameTheMissingModel() {
    assertThatThrownBy(() -> ChatRequest.builder().addMessage(Message.user("hi")).build())
        .isInstanceOf(IllegalStateException.class)
        .hasMessage("ChatRequest needs a model: call model(\"…\")");
    assertThatThrownBy(() -> ChatRequest.builder().model(" ").build())
        .isInstanceOf(IllegalStateException.class).hasMessageContaining("model");
    assertThatThrownBy(() -> GenerateRequest.builder().prompt("p").build())
        .isInstanceOf(IllegalStateException.class)
        .hasMessage("GenerateRequest needs a model: call model(\"…\")");
  }

  @Test
  void canonicalConstructorsValidateToo() {
    assertThatThrownBy(() -> new ChatRequest(null, List.of(), List.of(), null, null, null, null,
        null, null, null, null))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("model");
    assertThatThrownBy(() -> new GenerateRequest("", null, null, null, null, null, null, null,
        null, null, null, null, null, null, null, null))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("model");
    ChatRequest nullLists = new ChatRequest("m", null, null, null, null, null, null, null, null,
        null, null);
    assertThat(nullLists.messages()).isEmpty();
    assertThat(nullLists.tools()).isEmpty();
    List<Message> mutable = new ArrayList<>(List.of(Message.user("a")));
    ChatRequest copied = ChatRequest.builder().model("m").messages(mutable).build();
    mutable.add(Message.user("b"));
    assertThat(copied.messages()).hasSize(1);
    assertThatThrownBy(() -> copied.messages().add(Message.user("c")))
        .isInstanceOf(UnsupportedOperationException.class);
  }

  @Test
  void topLogprobsMustBeBetween0And20() {
    assertThat(ChatRequest.builder().model("m").topLogprobs(20).build().topLogprobs())
        .isEqualTo(20);
    assertThatThrownBy(() -> ChatRequest.builder().model("m").topLogprobs(21).build())
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("21");
    assertThatThrownBy(() -> ChatRequest.builder().model("m").topLogprobs(-1).build())
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> GenerateRequest.builder().model("m").topLogprobs(21).build())
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void messageFactoriesAndDefaults() {
    assertThat(Message.system("s").role()).isEqualTo("system");
    assertThat(Message.user("u").role()).isEqualTo("user");
    assertThat(Message.assistant("a").role()).isEqualTo("assistant");
    Message tool = Message.tool("get_weather", "11 degrees");
    assertThat(tool.role()).isEqualTo(Message.Role.TOOL);
    assertThat(tool.toolName()).isEqualTo("get_weather");
    assertThat(tool.toolCallId()).isNull();
    assertThat(Message.tool("f", "call_1", "r").toolCallId()).isEqualTo("call_1");

    Message defaults = new Message(null, null, null, null, null, null, null);
    assertThat(defaults.role()).isEqualTo(Message.Role.ASSISTANT);
    assertThat(defaults.content()).isEmpty();
    assertThat(defaults.images()).isEmpty();
    assertThat(defaults.toolCalls()).isEmpty();

    Message built = Message.builder().role(Message.Role.ASSISTANT).content("c").thinking("t")
        .toolCalls(List.of(ToolCall.of("f", Map.of()))).toolName("n").toolCallId("i").build();
    assertThat(built.toBuilder().build()).isEqualTo(built);
    assertThat(built.toBuilder().thinking(null).build().thinking()).isNull();
    assertThat(Message.builder().build().role()).isEqualTo(Message.Role.USER);
  }

  @Test
  void toolsAndToolCallsKeepArgumentOrder() {
    Map<String, Object> args = new LinkedHashMap<>();
    args.put("z", 1);
    args.put("a", List.of(1, 2));
    args.put("m", null);
    ToolCall call = ToolCall.of("f", args);
    assertThat(call.function().arguments().keySet()).containsExactly("z", "a", "m");
    assertThat(call.function().arguments()).containsEntry("m", null);
    assertThatThrownBy(() -> call.function().arguments().put("x", 1))
        .isInstanceOf(UnsupportedOperationException.class);

    Tool tool = Tool.function("get_weather", null, WEATHER_SCHEMA);
    assertThat(tool.type()).isEqualTo("function");
    assertThat(tool.function().description()).isNull();
    assertThat(tool.function().parameters().keySet())
        .containsExactly("type", "properties", "required");
    assertThat(new Tool(null, tool.function()).type()).isEqualTo(Tool.FUNCTION);
  }

  @Test
  void toolSchemaThatIsNotAnObjectNamesTheTool() {
    assertThatThrownBy(() -> Tool.function("get_weather", "d", "[]"))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("get_weather");
    assertThatThrownBy(() -> Tool.function("get_weather", "d", "{oops"))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("get_weather");
    assertThatThrownBy(() -> Tool.function(" ", "d", Map.of()))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("name");
  }

  /**
   * Writes the request with the {@code stream} attribute the fixture has (or without one) and
   * compares trees; then writes it the other way and checks that only {@code stream} differs.
   */
  private static void assertMatchesFixture(Object request, Class<?> type, String fixture) {
    JsonNode expected = Fixtures.tree(fixture);
    ObjectWriter writer = Json.MAPPER.writerFor(type);
    try {
      ObjectNode withoutStream = expected.deepCopy();
      withoutStream.remove("stream");
      JsonNode plain = Json.MAPPER.readTree(writer.writeValueAsString(request));
      assertThat(plain.has("stream")).as("no stream without the attribute").isFalse();
      assertSameJson(plain, withoutStream);

      boolean stream = expected.has("stream") ? expected.get("stream").booleanValue() : true;
      ObjectNode withStream = withoutStream.deepCopy();
      withStream.put("stream", stream);
      JsonNode streamed = Json.MAPPER.readTree(
          writer.withAttribute("stream", stream).writeValueAsString(request));
      assertSameJson(streamed, withStream);
      if (expected.has("stream")) {
        assertSameJson(streamed, expected);
      }
    } catch (JsonProcessingException e) {
      throw new AssertionError(e);
    }
  }

  private static void assertSameJson(JsonNode actual, JsonNode expected) {
    assertThat(actual.equals(NUMBERS_BY_VALUE, expected))
        .as("expected%n%s%nbut was%n%s", expected.toPrettyString(), actual.toPrettyString())
        .isTrue();
  }

  private static JsonNode toTree(Object value) throws JsonProcessingException {
    return Json.MAPPER.readTree(Json.MAPPER.writeValueAsString(value));
  }

  private static String write(Object value) throws JsonProcessingException {
    return Json.MAPPER.writeValueAsString(value);
  }

  private static List<String> fieldNames(JsonNode node) {
    List<String> names = new ArrayList<>();
    node.fieldNames().forEachRemaining(names::add);
    return names;
  }
}
