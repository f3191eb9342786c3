package dev.keyway.ollama.testkit;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * A model the stand-in serves: what it answers, how fast, and what {@code /api/tags} says about it.
 *
 * <p>Immutable: every method returns a new instance, so one script can be shared and varied.
 *
 * <pre>{@code
 * ScriptedModel.named("qwen3:8b")
 *     .thinking("Let", " me", " think")
 *     .answer("Three r's.")
 *     .tokenDelay(Duration.ofMillis(20))
 *     .family("qwen3").parameterSize("8.2B")
 * }</pre>
 *
 * <p>A reply streams the thinking tokens first (chunks with {@code "content":""}), then the
 * content tokens, then one chunk per tool call, then the {@code done} line. A request with {@code
 * "think":false} gets no thinking. {@code options.num_predict} cuts the thinking and content
 * tokens after that many (and drops the tool calls), with {@code done_reason} {@code "length"}.
 * Tool calls are sent on chat only, whether or not the request declared tools.
 */
public final class ScriptedModel {
  static final String DEFAULT_ANSWER = "Hello! How can I help you today? Ask me anything.";
  static final int DEFAULT_EMBEDDING_LENGTH = 8;
  static final int DEFAULT_CONTEXT_LENGTH = 4096;
  private static final Pattern WORDISH =
      Pattern.compile("\\s*(?:[\\p{L}\\p{N}_']+|[^\\s\\p{L}\\p{N}_'])|\\s+");

  private final String name;
  private final List<String> tokens;
  private final List<String> thinking;
  private final List<ToolCall> toolCalls;
  private final Duration tokenDelay;
  private final String family;
  private final String parameterSize;
  private final String quantizationLevel;
  private final @Nullable List<String> capabilities;
  private final int embeddingLength;
  private final int contextLength;

  /** A scripted tool call; arguments kept as a private JSON copy. */
  static final class ToolCall {
    final String name;
    private final ObjectNode arguments;

    ToolCall(String name, ObjectNode arguments) {
      this.name = name;
      this.arguments = arguments;
    }

    ObjectNode arguments() {
      return arguments.deepCopy();
    }
  }

  private ScriptedModel(
      String name,
      List<String> tokens,
      List<String> thinking,
      List<ToolCall> toolCalls,
      Duration tokenDelay,
      String family,
      String parameterSize,
      String quantizationLevel,
      @Nullable List<String> capabilities,
      int embeddingLength,
      int contextLength) {
    this.name = name;
    this.tokens = tokens;
    this.thinking = thinking;
    this.toolCalls = toolCalls;
    this.tokenDelay = tokenDelay;
    this.family = family;
    this.parameterSize = parameterSize;
    this.quantizationLevel = quantizationLevel;
    this.capabilities = capabilities;
    this.embeddingLength = embeddingLength;
    this.contextLength = contextLength;
  }

  /**
   * A model called {@code name} ({@code name:tag}; without a tag it is listed as {@code
   * name:latest}). Until told otherwise it answers a short friendly sentence of about a dozen
   * tokens, without delay, with family {@code llama}, size {@code 3.2B} and {@code Q4_K_M}.
   */
  public static ScriptedModel named(String name) {
    if (name == null || name.isBlank()) {
      throw new IllegalArgumentException("name is blank");
    }
    return new ScriptedModel(
        name.strip(),
        split(DEFAULT_ANSWER),
        List.of(),
        List.of(),
        Duration.ZERO,
        "llama",
        "3.2B",
        "Q4_K_M",
        null,
        DEFAULT_EMBEDDING_LENGTH,
        DEFAULT_CONTEXT_LENGTH);
  }

  /** The answer as these exact tokens, one streamed chunk each. Replaces any earlier answer. */
  public ScriptedModel tokens(String... tokens) {
    return withTokens(copy(tokens, "tokens"));
  }

  /**
   * The answer as {@code text} split into word-ish tokens (a word with its leading space, or one
   * punctuation mark), so that joining them gives {@code text} back. Replaces any earlier answer.
   */
  public ScriptedModel answer(String text) {
    if (text == null) {
      throw new IllegalArgumentException("text is null");
    }
    return withTokens(split(text));
  }

  /** Thinking tokens streamed before the answer (an empty call removes them). */
  public ScriptedModel thinking(String... tokens) {
    return new ScriptedModel(name, this.tokens, copy(tokens, "thinking"), toolCalls, tokenDelay,
        family, parameterSize, quantizationLevel, capabilities, embeddingLength, contextLength);
  }

  /**
   * Adds a tool call, streamed whole in its own chunk after the content. {@code arguments} must be
   * serializable by Jackson; a {@link LinkedHashMap} keeps its order on the wire.
   */
  public ScriptedModel toolCall(String name, Map<String, ?> arguments) {
    if (name == null || name.isBlank() || arguments == null) {
      throw new IllegalArgumentException("tool call needs a name and arguments");
    }
    ObjectNode args;
    try {
      args = Json.MAPPER.valueToTree(new LinkedHashMap<>(arguments));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("tool call arguments cannot be written as JSON", e);
    }
    List<ToolCall> calls = new ArrayList<>(toolCalls);
    calls.add(new ToolCall(name, args));
    return new ScriptedModel(this.name, tokens, thinking, List.copyOf(calls), tokenDelay, family,
        parameterSize, quantizationLevel, capabilities, embeddingLength, contextLength);
  }

  /**
   * Waits this long before each streamed token (thinking, content or tool call). A non-streamed
   * reply waits the sum before it is sent. Zero (the default) streams as fast as possible.
   */
  public ScriptedModel tokenDelay(Duration delay) {
    if (delay == null || delay.isNegative()) {
      throw new IllegalArgumentException("delay is negative");
    }
    return new ScriptedModel(name, tokens, thinking, toolCalls, delay, family, parameterSize,
        quantizationLevel, capabilities, embeddingLength, contextLength);
  }

  /** {@code details.family} (and {@code families}) in {@code /api/tags}; default {@code llama}. */
  public ScriptedModel family(String family) {
    return new ScriptedModel(name, tokens, thinking, toolCalls, tokenDelay, require(family),
        parameterSize, quantizationLevel, capabilities, embeddingLength, contextLength);
  }

  /** {@code details.parameter_size}, e.g. {@code 8.2B}; default {@code 3.2B}. */
  public ScriptedModel parameterSize(String parameterSize) {
    return new ScriptedModel(name, tokens, thinking, toolCalls, tokenDelay, family,
        require(parameterSize), quantizationLevel, capabilities, embeddingLength, contextLength);
  }

  /** {@code details.quantization_level}, e.g. {@code Q8_0}; default {@code Q4_K_M}. */
  public ScriptedModel quantizationLevel(String quantizationLevel) {
    return new ScriptedModel(name, tokens, thinking, toolCalls, tokenDelay, family, parameterSize,
        require(quantizationLevel), capabilities, embeddingLength, contextLength);
  }

  /**
   * {@code capabilities} in {@code /api/tags}. Default: {@code completion} and {@code tools},
   * plus {@code thinking} when the script thinks. Listed only; requests are not checked against
   * them.
   */
  public ScriptedModel capabilities(String... capabilities) {
    return new ScriptedModel(name, tokens, thinking, toolCalls, tokenDelay, family, parameterSize,
        quantizationLevel, copy(capabilities, "capabilities"), embeddingLength, contextLength);
  }

  /**
   * How many numbers an {@code /api/embed} vector has (also {@code <family>.embedding_length} in
   * {@code /api/show}); default 8. Vectors are derived from the SHA-256 of the input text, so
   * equal texts always get equal vectors and different texts different ones.
   */
  public ScriptedModel embeddingLength(int length) {
    if (length < 1 || length > 65_536) {
      throw new IllegalArgumentException("embedding length out of range 1..65536: " + length);
    }
    return new ScriptedModel(name, tokens, thinking, toolCalls, tokenDelay, family, parameterSize,
        quantizationLevel, capabilities, length, contextLength);
  }

  /**
   * The context length, in tokens: {@code context_length} in {@code /api/ps} and {@code
   * <family>.context_length} in {@code /api/show}; default 4096. For embeddings the stand-in
   * counts one token per character (code point): a longer input is cut to this length, or
   * refused with 400 when the request says {@code "truncate":false}.
   */
  public ScriptedModel contextLength(int length) {
    if (length < 1) {
      throw new IllegalArgumentException("context length must be positive: " + length);
    }
    return new ScriptedModel(name, tokens, thinking, toolCalls, tokenDelay, family, parameterSize,
        quantizationLevel, capabilities, embeddingLength, length);
  }

  /** The name as given to {@link #named}. */
  public String name() {
    return name;
  }

  @Override
  public String toString() {
    return "ScriptedModel{" + name + ", " + tokens.size() + " tokens, " + thinking.size()
        + " thinking, " + toolCalls.size() + " tool calls, delay " + tokenDelay + "}";
  }

  /** The same script under another name (copy, create from, pull). */
  ScriptedModel renamed(String newName) {
    return new ScriptedModel(newName.strip(), tokens, thinking, toolCalls, tokenDelay, family,
        parameterSize, quantizationLevel, capabilities, embeddingLength, contextLength);
  }

  // --- for the stand-in ----------------------------------------------------------------------

  /** The name as listed: with {@code :latest} when no tag was given. */
  String listedName() {
    return canonical(name);
  }

  static String canonical(String modelName) {
    int slash = modelName.lastIndexOf('/');
    return modelName.indexOf(':', slash + 1) < 0 ? modelName + ":latest" : modelName;
  }

  List<String> contentTokens() {
    return tokens;
  }

  List<String> thinkingTokens() {
    return thinking;
  }

  List<ToolCall> toolCalls() {
    return toolCalls;
  }

  Duration delay() {
    return tokenDelay;
  }

  String familyName() {
    return family;
  }

  String parameterSizeLabel() {
    return parameterSize;
  }

  String quantization() {
    return quantizationLevel;
  }

  int embeddingSize() {
    return embeddingLength;
  }

  int contextSize() {
    return contextLength;
  }

  List<String> listedCapabilities() {
    if (capabilities != null) {
      return capabilities;
    }
    return thinking.isEmpty()
        ? List.of("completion", "tools")
        : List.of("completion", "tools", "thinking");
  }

  static List<String> split(String text) {
    List<String> out = new ArrayList<>();
    Matcher matcher = WORDISH.matcher(text);
    while (matcher.find()) {
      out.add(matcher.group());
    }
    return Collections.unmodifiableList(out);
  }

  private ScriptedModel withTokens(List<String> tokens) {
    return new ScriptedModel(name, tokens, thinking, toolCalls, tokenDelay, family, parameterSize,
        quantizationLevel, capabilities, embeddingLength, contextLength);
  }

  private static List<String> copy(String[] values, String what) {
    if (values == null || Arrays.asList(values).contains(null)) {
      throw new IllegalArgumentException(what + " contain null");
    }
    return List.of(values);
  }

  private static String require(String value) {
    if (value == null) {
      throw new IllegalArgumentException("value is null");
    }
    return value;
  }
}
