package dev.keyway.ollama.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.entry;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.keyway.ollama.internal.Json;
import dev.keyway.ollama.internal.TagsResponse;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Every recorded chat, generate and tags response decodes, with the values the wire carries. */
class WireFixturesTest {

  static List<String> chatBodies() {
    return responseBodies("chat-");
  }

  static List<String> generateBodies() {
    return responseBodies("generate-");
  }

  static List<String> tagsBodies() {
    return Fixtures.names("tags-", "tags.");
  }

  static List<String> streams() {
    // "generate-stream" without the dash: generate-stream.ndjson is the plain stream.
    return Fixtures.names("chat-stream", "generate-stream").stream()
        .filter(n -> n.endsWith(".ndjson"))
        .collect(Collectors.toList());
  }

  private static List<String> responseBodies(String prefix) {
    return Fixtures.names(prefix).stream()
        .filter(n -> n.endsWith(".json") && !n.contains("-request"))
        .collect(Collectors.toList());
  }

  @Test
  void fixtureListsAreNotEmpty() {
    assertThat(chatBodies()).contains("chat-nonstream-basic.json", "chat-load.json");
    assertThat(generateBodies()).contains("generate-nonstream.json", "generate-unload.json");
    assertThat(tagsBodies()).containsExactly("tags-docs.json", "tags-empty.json", "tags.json");
    assertThat(streams()).contains("chat-stream-basic.ndjson", "generate-stream.ndjson");
  }

  @ParameterizedTest
  @MethodSource("chatBodies")
  void everyChatBodyDecodes(String name) {
    ChatResponse r = Fixtures.decode(name, ChatResponse.class);
    JsonNode tree = Fixtures.tree(name);
    assertThat(r.model()).isEqualTo(tree.get("model").asText()).isNotEmpty();
    assertThat(r.createdAt()).isEqualTo(Instant.parse(tree.get("created_at").asText()));
    assertThat(r.done()).isTrue();
    assertThat(r.message().role()).isEqualTo(Message.Role.ASSISTANT);
    assertThat(r.message().content()).isEqualTo(tree.at("/message/content").asText());
    assertMetrics(tree, r.totalDuration(), r.loadDuration(), r.promptEvalCount(),
        r.promptEvalDuration(), r.evalCount(), r.evalDuration());
    assertThat(r.doneReason()).isEqualTo(textOrNull(tree, "done_reason"));
  }

  @ParameterizedTest
  @MethodSource("generateBodies")
  void everyGenerateBodyDecodes(String name) {
    GenerateResponse r = Fixtures.decode(name, GenerateResponse.class);
    JsonNode tree = Fixtures.tree(name);
    assertThat(r.model()).isEqualTo(tree.get("model").asText()).isNotEmpty();
    assertThat(r.createdAt()).isEqualTo(Instant.parse(tree.get("created_at").asText()));
    assertThat(r.done()).isTrue();
    assertThat(r.response()).isEqualTo(tree.get("response").asText());
    assertThat(r.doneReason()).isEqualTo(textOrNull(tree, "done_reason"));
    assertThat(r.context()).hasSize(tree.path("context").size());
    assertMetrics(tree, r.totalDuration(), r.loadDuration(), r.promptEvalCount(),
        r.promptEvalDuration(), r.evalCount(), r.evalDuration());
  }

  @ParameterizedTest
  @MethodSource("tagsBodies")
  void everyTagsBodyDecodes(String name) {
    TagsResponse tags = Fixtures.decode(name, TagsResponse.class);
    JsonNode models = Fixtures.tree(name).get("models");
    assertThat(tags.models()).hasSize(models.size());
    for (int i = 0; i < models.size(); i++) {
      ModelSummary m = tags.models().get(i);
      JsonNode node = models.get(i);
      assertThat(m.name()).isEqualTo(node.get("name").asText());
      assertThat(m.model()).isEqualTo(node.get("model").asText());
      assertThat(m.size()).isEqualTo(node.get("size").asLong());
      assertThat(m.digest()).hasSize(64).isEqualTo(node.get("digest").asText());
      assertThat(m.modifiedAt()).isEqualTo(OffsetDateTime.parse(node.get("modified_at").asText()));
      assertThat(m.details().family()).isEqualTo(node.at("/details/family").asText()).isNotEmpty();
      assertThat(m.details().parameterSize()).isEqualTo(node.at("/details/parameter_size").asText());
    }
  }

  @ParameterizedTest
  @MethodSource("streams")
  void everyStreamLineDecodes(String name) throws IOException {
    Class<?> type = name.startsWith("chat-") ? ChatResponse.class : GenerateResponse.class;
    List<String> lines = Fixtures.lines(name);
    int errors = 0;
    List<Object> chunks = new ArrayList<>();
    for (String line : lines) {
      JsonNode tree = Json.MAPPER.readTree(line);
      if (tree.has("error")) {
        errors++;
        continue;
      }
      Object chunk = Json.MAPPER.readValue(line, type);
      assertChunkCarriesTheLine(tree, chunk);
      chunks.add(chunk);
    }
    if (name.contains("error")) {
      assertThat(errors).as("%s has an in-band error line", name).isEqualTo(1);
      assertThat(Json.MAPPER.readTree(lines.get(lines.size() - 1)).has("error")).isTrue();
    } else {
      assertThat(errors).as("%s has no error line", name).isZero();
      Object last = chunks.get(chunks.size() - 1);
      assertThat(last instanceof ChatResponse
          ? ((ChatResponse) last).done() : ((GenerateResponse) last).done()).isTrue();
    }
  }

  @Test
  void chatStreamBasicUnescapesHtmlEscapesAndKeepsRawUtf8() {
    List<ChatResponse> chunks = chatChunks("chat-stream-basic.ndjson");
    assertThat(chunks).hasSize(6);
    assertThat(chunks.get(4).message().content())
        .isEqualTo(" because short wavelengths (λ < 500 nm) scatter more & reach your eyes.");
    assertThat(chunks.get(2).createdAt()).isEqualTo(Instant.parse("2026-08-20T14:03:11.539Z"));
    assertThat(chunks.get(0).createdAt())
        .isEqualTo(Instant.parse("2026-08-20T14:03:11.504182Z"));
    assertThat(chunks.get(0).done()).isFalse();
    assertThat(chunks.get(0).doneReason()).isNull();
    assertThat(chunks.get(0).totalDuration()).isNull();
    assertThat(chunks.get(0).message().thinking()).isNull();
    assertThat(chunks.get(0).message().toolCalls()).isEmpty();
    assertThat(chunks.get(0).logprobs()).isEmpty();

    ChatResponse last = chunks.get(5);
    assertThat(last.done()).isTrue();
    assertThat(last.doneReason()).isEqualTo(DoneReason.STOP);
    assertThat(last.message().content()).isEmpty();
    assertThat(last.totalDuration()).isEqualTo(Duration.ofNanos(1883583458L));
    assertThat(last.loadDuration()).isEqualTo(Duration.ofNanos(1334875L));
    assertThat(last.promptEvalCount()).isEqualTo(31);
    assertThat(last.promptEvalCachedCount()).isNull();
    assertThat(last.promptEvalDuration()).isEqualTo(Duration.ofNanos(42546000L));
    assertThat(last.evalCount()).isEqualTo(24);
    assertThat(last.evalDuration()).isEqualTo(Duration.ofMillis(435).plusNanos(599000L));
    assertThat(chunks.stream().map(c -> c.message().content()).collect(Collectors.joining()))
        .startsWith("The sky looks blue because short wavelengths (λ < 500 nm)");
  }

  @Test
  void streamedThinkingAndContentJoinToTheNonStreamedMessage() {
    List<ChatResponse> chunks = chatChunks("chat-stream-thinking.ndjson");
    ChatResponse whole = Fixtures.decode("chat-nonstream-thinking.json", ChatResponse.class);
    String thinking = chunks.stream().map(c -> c.message().thinking())
        .filter(t -> t != null).collect(Collectors.joining());
    String content = chunks.stream().map(c -> c.message().content()).collect(Collectors.joining());

    assertThat(thinking).isEqualTo(whole.message().thinking())
        .startsWith("Okay, the user asks how many times the letter r").endsWith("That is three.\n");
    assertThat(content).isEqualTo(whole.message().content())
        .isEqualTo("There are **3** letter r's in \"strawberry\".");
    assertThat(chunks.get(0).message().content()).isEmpty();
    assertThat(chunks.get(0).message().thinking()).isEqualTo("Okay");
    assertThat(chunks.get(3).message().thinking()).isNull();
    ChatResponse last = chunks.get(chunks.size() - 1);
    assertThat(last.totalDuration()).isEqualTo(whole.totalDuration())
        .isEqualTo(Duration.ofNanos(2210457042L));
    assertThat(last.evalCount()).isEqualTo(whole.evalCount()).isEqualTo(57);
  }

  @Test
  void toolCallsDecodeWithIdNameAndArguments() {
    ChatResponse r = Fixtures.decode("chat-nonstream-tool-calls.json", ChatResponse.class);
    assertThat(r.message().content()).isEmpty();
    assertThat(r.message().toolCalls()).hasSize(1);
    ToolCall call = r.message().toolCalls().get(0);
    assertThat(call.id()).isEqualTo("call_x1y2z3w4");
    assertThat(call.function().index()).isZero();
    assertThat(call.function().name()).isEqualTo("get_weather");
    assertThat(call.function().arguments()).containsExactly(entry("city", "Tokyo"));
  }

  @Test
  void parallelToolCallsKeepTheirOrderAndIndexes() {
    ChatResponse r =
        Fixtures.decode("chat-nonstream-parallel-tool-calls.json", ChatResponse.class);
    assertThat(r.message().toolCalls())
        .extracting(c -> c.id(), c -> c.function().index(), c -> c.function().name())
        .containsExactly(
            org.assertj.core.groups.Tuple.tuple("call_m4d8s1kf", 0, "get_temperature"),
            org.assertj.core.groups.Tuple.tuple("call_r9e2u6jt", 1, "get_conditions"));
    assertThat(r.message().toolCalls().get(1).function().arguments())
        .containsExactly(entry("city", "New York"));
  }

  @Test
  void streamedToolCallsArriveWholeInSeparateChunksWithIndexZero() {
    List<ChatResponse> chunks = chatChunks("chat-stream-thinking-tool-calls.ndjson");
    List<ToolCall> calls = chunks.stream().flatMap(c -> c.message().toolCalls().stream())
        .collect(Collectors.toList());
    assertThat(calls).extracting(ToolCall::id).containsExactly("call_7tq1m0zd", "call_b82hx5nw");
    assertThat(calls).extracting(c -> c.function().index()).containsExactly(0, 0);
    assertThat(calls).extracting(c -> c.function().arguments().get("city"))
        .containsExactly("New York", "London");
    assertThat(chunks.get(0).message().thinking())
        .isEqualTo("The user wants the temperature in New York and in London.");
  }

  @Test
  void toolCallsInStreamsArriveInAnyChunkIncludingTheLast() {
    List<ChatResponse> early = chatChunks("chat-stream-tool-calls.ndjson");
    assertThat(early.get(0).done()).isFalse();
    assertThat(early.get(0).message().toolCalls()).extracting(ToolCall::id)
        .containsExactly("call_k3v9x2qa");
    assertThat(early.get(1).message().toolCalls()).isEmpty();

    List<ChatResponse> finalChunk = chatChunks("chat-stream-tool-calls-in-final-chunk.ndjson");
    assertThat(finalChunk).hasSize(1);
    ChatResponse only = finalChunk.get(0);
    assertThat(only.done()).isTrue();
    assertThat(only.totalDuration()).isEqualTo(Duration.ofNanos(731254417L));
    Map<String, Object> args = only.message().toolCalls().get(0).function().arguments();
    assertThat(args).containsExactly(entry("location", "Seattle, WA"), entry("unit", "celsius"));
    assertThat(new ArrayList<>(args.keySet())).containsExactly("location", "unit");
  }

  @Test
  void logprobsDecodeAtTheTopLevelOfAChunk() {
    List<ChatResponse> chunks = chatChunks("chat-stream-logprobs.ndjson");
    Logprob hello = chunks.get(0).logprobs().get(0);
    assertThat(hello.token()).isEqualTo("Hello");
    assertThat(hello.logprob()).isEqualTo(-0.0421);
    assertThat(hello.bytes()).containsExactly(72, 101, 108, 108, 111);
    assertThat(hello.topLogprobs()).extracting(Logprob::token).containsExactly("Hello", "Hi");
    Logprob hi = hello.topLogprobs().get(1);
    assertThat(hi.logprob()).isEqualTo(-3.2187);
    assertThat(hi.bytes()).containsExactly(72, 105);
    assertThat(hi.topLogprobs()).isEmpty();
    assertThat(chunks.get(1).logprobs().get(0).topLogprobs()).extracting(Logprob::token)
        .containsExactly("!", ",");
    assertThat(chunks.get(2).logprobs()).isEmpty();
  }

  @Test
  void loadAndUnloadRepliesHaveAReasonButNoMetrics() {
    ChatResponse load = Fixtures.decode("chat-load.json", ChatResponse.class);
    assertThat(load.doneReason()).isEqualTo(DoneReason.LOAD);
    assertThat(load.totalDuration()).isNull();
    assertThat(load.evalCount()).isNull();
    assertThat(load.message()).isEqualTo(Message.assistant(""));
    assertThat(Fixtures.decode("chat-unload.json", ChatResponse.class).doneReason())
        .isEqualTo(DoneReason.UNLOAD);
    assertThat(Fixtures.decode("generate-unload.json", GenerateResponse.class).doneReason())
        .isEqualTo(DoneReason.UNLOAD);
    // Older docs example: no done_reason at all.
    GenerateResponse oldLoad = Fixtures.decode("generate-load.json", GenerateResponse.class);
    assertThat(oldLoad.doneReason()).isNull();
    assertThat(oldLoad.response()).isEmpty();
    assertThat(oldLoad.context()).isEmpty();
  }

  @Test
  void chatBodyWithoutDoneReasonDecodesMetrics() {
    ChatResponse r = Fixtures.decode("chat-nonstream-basic.json", ChatResponse.class);
    assertThat(r.doneReason()).isNull();
    assertThat(r.message().content()).isEqualTo("Hello! How are you today?");
    assertThat(r.createdAt()).isEqualTo(Instant.parse("2023-12-12T14:13:43.416799Z"));
    assertThat(r.totalDuration()).isEqualTo(Duration.ofNanos(5191566416L));
    assertThat(r.loadDuration()).isEqualTo(Duration.ofNanos(2154458L));
    assertThat(r.promptEvalCount()).isEqualTo(26);
    assertThat(r.evalDuration()).isEqualTo(Duration.ofNanos(4799921000L));
  }

  @Test
  void structuredAnswerIsTheJsonText() throws IOException {
    ChatResponse r = Fixtures.decode("chat-nonstream-structured.json", ChatResponse.class);
    JsonNode answer = Json.MAPPER.readTree(r.message().content());
    assertThat(answer.get("age").intValue()).isEqualTo(22);
    assertThat(answer.get("available").booleanValue()).isFalse();
    assertThat(Fixtures.decode("chat-nonstream-tool-result-answer.json", ChatResponse.class)
        .message().content()).isEqualTo("The current temperature in Toronto is 11°C.");
  }

  @Test
  void generateContextAndMetrics() {
    GenerateResponse r =
        Fixtures.decode("generate-nonstream-with-context.json", GenerateResponse.class);
    assertThat(r.context()).containsExactly(1, 2, 3);
    assertThat(r.response()).isEqualTo("The sky is blue because it is the color of the sky.");
    assertThat(r.totalDuration()).isEqualTo(Duration.ofNanos(5043500667L));
    assertThat(r.promptEvalDuration()).isEqualTo(Duration.ofNanos(325953000L));
    assertThat(r.thinking()).isNull();
    assertThat(r.toolCalls()).isEmpty();
  }

  @Test
  void generateStreamJoinsAndEndsWithContext() {
    List<GenerateResponse> chunks = generateChunks("generate-stream.ndjson");
    assertThat(chunks.stream().map(GenerateResponse::response).collect(Collectors.joining()))
        .isEqualTo("That's a fantastic question!");
    GenerateResponse last = chunks.get(chunks.size() - 1);
    assertThat(last.done()).isTrue();
    assertThat(last.doneReason()).isEqualTo(DoneReason.STOP);
    assertThat(last.context()).hasSize(22).startsWith(2, 105, 2364).endsWith(236888);
    assertThat(last.evalCount()).isEqualTo(7);
    assertThat(last.loadDuration()).isEqualTo(Duration.ofNanos(101397084L));
    assertThat(chunks.get(0).context()).isEmpty();

    List<GenerateResponse> length = generateChunks("generate-stream-length.ndjson");
    GenerateResponse cut = length.get(length.size() - 1);
    assertThat(cut.doneReason()).isEqualTo(DoneReason.LENGTH);
    assertThat(cut.context()).hasSize(16).startsWith(128006, 882);
  }

  @Test
  void generateStreamThinkingJoins() {
    List<GenerateResponse> chunks = generateChunks("generate-stream-thinking.ndjson");
    assertThat(chunks.stream().map(GenerateResponse::thinking).filter(t -> t != null)
        .collect(Collectors.joining()))
        .isEqualTo("The user wants 17 × 23. 17 × 20 = 340, 17 × 3 = 51, total 391.\n");
    assertThat(chunks.stream().map(GenerateResponse::response).collect(Collectors.joining()))
        .isEqualTo("17 × 23 = 391");
  }

  @Test
  void tagsDetailsCapabilitiesAndCloudStubs() {
    TagsResponse tags = Fixtures.decode("tags.json", TagsResponse.class);
    assertThat(tags.models()).extracting(ModelSummary::name)
        .containsExactly("qwen3:8b", "gpt-oss:120b-cloud", "all-minilm:latest");

    ModelSummary qwen = tags.models().get(0);
    assertThat(qwen.size()).isEqualTo(5225387842L);
    assertThat(qwen.modifiedAt())
        .isEqualTo(OffsetDateTime.parse("2026-08-18T09:12:44.105530188+02:00"));
    assertThat(qwen.modifiedAt().getNano()).isEqualTo(105530188);
    assertThat(qwen.remoteModel()).isNull();
    assertThat(qwen.isRemote()).isFalse();
    assertThat(qwen.details()).isEqualTo(new ModelDetails("", "gguf", "qwen3", List.of("qwen3"),
        "8.2B", "Q4_K_M", 40960, 4096));
    assertThat(qwen.capabilities())
        .containsExactly(Capability.COMPLETION, Capability.TOOLS, Capability.THINKING);
    assertThat(qwen.hasCapability(Capability.THINKING)).isTrue();
    assertThat(qwen.hasCapability(Capability.VISION)).isFalse();

    ModelSummary cloud = tags.models().get(1);
    assertThat(cloud.remoteModel()).isEqualTo("gpt-oss:120b");
    assertThat(cloud.remoteHost()).isEqualTo("https://ollama.com:443");
    assertThat(cloud.isRemote()).isTrue();
    assertThat(cloud.size()).isEqualTo(384);
    assertThat(cloud.details().format()).isEmpty();
    assertThat(cloud.details().parameterSize()).isEqualTo("116.8B");
    assertThat(cloud.details().quantizationLevel()).isEqualTo("MXFP4");
    assertThat(cloud.details().contextLength()).isEqualTo(131072);
    assertThat(cloud.details().embeddingLength()).isNull();

    ModelSummary embed = tags.models().get(2);
    assertThat(embed.capabilities()).containsExactly(Capability.EMBEDDING);
    assertThat(embed.details().parameterSize()).isEqualTo("23M");
  }

  @Test
  void tagsFromOlderServersHaveNoCapabilitiesOrLengths() {
    TagsResponse tags = Fixtures.decode("tags-docs.json", TagsResponse.class);
    ModelSummary first = tags.models().get(0);
    assertThat(first.capabilities()).isEmpty();
    assertThat(first.hasCapability(Capability.COMPLETION)).isFalse();
    assertThat(first.details().contextLength()).isNull();
    assertThat(first.details().families()).containsExactly("qwen2");
    assertThat(first.details().parentModel()).isEmpty();
    assertThat(first.modifiedAt().getOffset().getTotalSeconds()).isEqualTo(-7 * 3600);
    assertThat(Fixtures.decode("tags-empty.json", TagsResponse.class).models()).isEmpty();
  }

  @Test
  void unknownFieldsAreIgnored() throws IOException {
    ObjectNode chunk = (ObjectNode) Json.MAPPER.readTree(
        Fixtures.lines("chat-stream-basic.ndjson").get(5));
    chunk.put("brand_new_field", "x");
    chunk.putObject("_debug_info").put("rendered_template", "…");
    ((ObjectNode) chunk.get("message")).putArray("future_list").add(1);
    ChatResponse r = Json.MAPPER.treeToValue(chunk, ChatResponse.class);
    assertThat(r.done()).isTrue();
    assertThat(r.evalCount()).isEqualTo(24);

    ObjectNode tags = (ObjectNode) Fixtures.tree("tags.json");
    ((ObjectNode) tags.get("models").get(0)).put("license", "Apache-2.0");
    ((ObjectNode) tags.get("models").get(0).get("details")).put("new_detail", 7);
    tags.put("next_page", "abc");
    assertThat(Json.MAPPER.treeToValue(tags, TagsResponse.class).models()).hasSize(3);

    GenerateResponse g = Json.MAPPER.readValue(
        "{\"model\":\"m\",\"response\":\"hi\",\"done\":false,\"image\":\"…\",\"total\":3}",
        GenerateResponse.class);
    assertThat(g.response()).isEqualTo("hi");
  }

  @Test
  void missingOrNullFieldsGetDefaults() throws IOException {
    ChatResponse r = Json.MAPPER.readValue(
        "{\"message\":{\"content\":null,\"tool_calls\":null},\"logprobs\":null}",
        ChatResponse.class);
    assertThat(r.model()).isEmpty();
    assertThat(r.createdAt()).isNull();
    assertThat(r.done()).isFalse();
    assertThat(r.message().role()).isEqualTo(Message.Role.ASSISTANT);
    assertThat(r.message().content()).isEmpty();
    assertThat(r.message().toolCalls()).isEmpty();
    assertThat(r.logprobs()).isEmpty();

    assertThat(Json.MAPPER.readValue("{}", ChatResponse.class).message())
        .isEqualTo(Message.assistant(""));
    GenerateResponse g = Json.MAPPER.readValue("{\"context\":null}", GenerateResponse.class);
    assertThat(g.response()).isEmpty();
    assertThat(g.context()).isEmpty();

    ModelSummary m = Json.MAPPER.readValue(
        "{\"name\":\"x\",\"details\":{\"families\":null}}", ModelSummary.class);
    assertThat(m.details().families()).isEmpty();
    assertThat(m.details().format()).isEmpty();
    assertThat(m.capabilities()).isEmpty();
    assertThat(Json.MAPPER.readValue("{\"name\":\"x\"}", ModelSummary.class).details())
        .isEqualTo(new ModelDetails("", "", "", List.of(), "", "", null, null));

    ToolCall call = Json.MAPPER.readValue("{\"function\":{\"name\":\"f\"}}", ToolCall.class);
    assertThat(call.id()).isNull();
    assertThat(call.function().arguments()).isEmpty();
  }

  private static void assertMetrics(JsonNode tree, Duration total, Duration load,
      Integer promptCount, Duration promptDuration, Integer evalCount, Duration evalDuration) {
    assertThat(total).isEqualTo(nanosOrNull(tree, "total_duration"));
    assertThat(load).isEqualTo(nanosOrNull(tree, "load_duration"));
    assertThat(promptDuration).isEqualTo(nanosOrNull(tree, "prompt_eval_duration"));
    assertThat(evalDuration).isEqualTo(nanosOrNull(tree, "eval_duration"));
    assertThat(promptCount).isEqualTo(tree.has("prompt_eval_count")
        ? Integer.valueOf(tree.get("prompt_eval_count").intValue()) : null);
    assertThat(evalCount).isEqualTo(tree.has("eval_count")
        ? Integer.valueOf(tree.get("eval_count").intValue()) : null);
  }

  /** The values a stream line carries are the chunk's: model, time, text, thinking, done. */
  private static void assertChunkCarriesTheLine(JsonNode tree, Object chunk) {
    if (chunk instanceof ChatResponse c) {
      assertThat(c.model()).isEqualTo(tree.path("model").asText());
      assertThat(c.createdAt()).isEqualTo(Instant.parse(tree.get("created_at").asText()));
      assertThat(c.message().content()).isEqualTo(tree.at("/message/content").asText());
      assertThat(c.message().thinking()).isEqualTo(textOrNull(tree.path("message"), "thinking"));
      assertThat(c.message().toolCalls()).hasSize(tree.at("/message/tool_calls").size());
      assertThat(c.done()).as("done of %s", tree).isEqualTo(tree.path("done").asBoolean());
      assertMetrics(tree, c.totalDuration(), c.loadDuration(), c.promptEvalCount(),
          c.promptEvalDuration(), c.evalCount(), c.evalDuration());
    } else {
      GenerateResponse g = (GenerateResponse) chunk;
      assertThat(g.model()).isEqualTo(tree.path("model").asText());
      assertThat(g.createdAt()).isEqualTo(Instant.parse(tree.get("created_at").asText()));
      assertThat(g.response()).isEqualTo(tree.path("response").asText());
      assertThat(g.thinking()).isEqualTo(textOrNull(tree, "thinking"));
      assertThat(g.context()).hasSize(tree.path("context").size());
      assertThat(g.done()).as("done of %s", tree).isEqualTo(tree.path("done").asBoolean());
      assertMetrics(tree, g.totalDuration(), g.loadDuration(), g.promptEvalCount(),
          g.promptEvalDuration(), g.evalCount(), g.evalDuration());
    }
  }

  private static Duration nanosOrNull(JsonNode tree, String field) {
    return tree.has(field) ? Duration.ofNanos(tree.get(field).longValue()) : null;
  }

  private static String textOrNull(JsonNode tree, String field) {
    return tree.has(field) ? tree.get(field).asText() : null;
  }

  private static List<ChatResponse> chatChunks(String name) {
    return decodeLines(name, ChatResponse.class);
  }

  private static List<GenerateResponse> generateChunks(String name) {
    return decodeLines(name, GenerateResponse.class);
  }

  private static <T> List<T> decodeLines(String name, Class<T> type) {
    List<T> out = new ArrayList<>();
    for (String line : Fixtures.lines(name)) {
      try {
        out.add(Json.MAPPER.readValue(line, type));
      } catch (IOException e) {
        throw new AssertionError(name + ": " + line, e);
      }
    }
    return out;
  }
}
