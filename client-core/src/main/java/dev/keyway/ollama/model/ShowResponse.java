package dev.keyway.ollama.model;

import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * What {@code POST /api/show} says about one model. Fields the server leaves out are {@code null}
 * (strings), empty (lists and maps) or {@link ModelDetails} with empty strings; fields newer
 * servers add are ignored unless listed here.
 *
 * @param license the license text
 * @param modelfile a rendered Modelfile
 * @param parameters the Modelfile parameters, one per line as Ollama prints them (see
 *     {@link #parameterValues()})
 * @param template the prompt template
 * @param system the system prompt
 * @param renderer the built-in renderer used instead of a template
 * @param parser the built-in output parser
 * @param details format, family, parameter size and quantization
 * @param messages messages the Modelfile adds before every conversation
 * @param remoteModel for a cloud stub, the model it stands for
 * @param remoteHost for a cloud stub, the server that runs it
 * @param modelInfo the GGUF metadata, e.g. {@code general.architecture} and
 *     {@code <arch>.context_length}; values are JSON values (strings, numbers, lists, maps or
 *     {@code null}); large arrays are {@code null} unless asked for with {@code verbose}
 * @param projectorInfo the vision projector's metadata, for multimodal models
 * @param tensors the weights' tensors (filled for GGUF models); can be long
 * @param capabilities what it can do, see {@link Capability}
 * @param modifiedAt when the model was last changed
 * @param requires the minimum Ollama version the model needs (Ollama v0.14+)
 * @param thinking the {@code think} values the model accepts and its default, e.g.
 *     {@code {"values":["low","medium","high"],"default":"medium"}} (newer servers)
 * @param templateSource where the prompt format comes from, e.g. {@code renderer} or
 *     {@code gguf_chat_template} (newer servers)
 */
public record ShowResponse(
    @Nullable String license,
    @Nullable String modelfile,
    @Nullable String parameters,
    @Nullable String template,
    @Nullable String system,
    @Nullable String renderer,
    @Nullable String parser,
    ModelDetails details,
    List<Message> messages,
    @Nullable String remoteModel,
    @Nullable String remoteHost,
    Map<String, @Nullable Object> modelInfo,
    Map<String, @Nullable Object> projectorInfo,
    List<Tensor> tensors,
    List<String> capabilities,
    @Nullable OffsetDateTime modifiedAt,
    @Nullable String requires,
    Map<String, @Nullable Object> thinking,
    @Nullable String templateSource) {

  /** Fills in defaults and makes the collections unmodifiable. */
  public ShowResponse {
    details = details == null ? ModelDetails.EMPTY : details;
    messages = messages == null ? List.of() : List.copyOf(messages);
    modelInfo = unmodifiable(modelInfo);
    projectorInfo = unmodifiable(projectorInfo);
    tensors = tensors == null ? List.of() : List.copyOf(tensors);
    capabilities = capabilities == null ? List.of() : List.copyOf(capabilities);
    thinking = unmodifiable(thinking);
  }

  /** Whether the model has this capability, e.g. {@link Capability#VISION}. */
  public boolean hasCapability(String capability) {
    return capabilities.contains(capability);
  }

  /** {@code general.architecture} from {@link #modelInfo()}, e.g. {@code llama}, if present. */
  public @Nullable String architecture() {
    Object value = modelInfo.get("general.architecture");
    return value instanceof String s ? s : null;
  }

  /** {@code <architecture>.context_length} from {@link #modelInfo()}: the model's maximum. */
  public @Nullable Long contextLength() {
    return archNumber("context_length");
  }

  /** {@code <architecture>.embedding_length} from {@link #modelInfo()}. */
  public @Nullable Long embeddingLength() {
    return archNumber("embedding_length");
  }

  private @Nullable Long archNumber(String key) {
    String arch = architecture();
    Object value = arch == null ? null : modelInfo.get(arch + "." + key);
    return value instanceof Number n ? n.longValue() : null;
  }

  /**
   * {@link #parameters()} as a map from name to its values in order (a name such as {@code stop}
   * can repeat); string values lose their quotes. Empty when there are none.
   */
  public Map<String, List<String>> parameterValues() {
    Map<String, List<String>> values = new LinkedHashMap<>();
    if (parameters == null) {
      return values;
    }
    for (String line : parameters.split("\n")) {
      String trimmed = line.strip();
      int space = trimmed.indexOf(' ');
      if (space < 0) {
        continue;
      }
      String value = trimmed.substring(space + 1).strip();
      if (value.length() >= 2 && value.startsWith("\"") && value.endsWith("\"")) {
        value = value.substring(1, value.length() - 1).replace("\\\"", "\"").replace("\\\\", "\\");
      }
      values.computeIfAbsent(trimmed.substring(0, space), k -> new ArrayList<>()).add(value);
    }
    return values;
  }

  /** Leaves out the long texts and the tensor list. */
  @Override
  public String toString() {
    return "ShowResponse[details=" + details + ", capabilities=" + capabilities + ", architecture="
        + architecture() + ", contextLength=" + contextLength() + ", modifiedAt=" + modifiedAt
        + ", tensors=" + tensors.size() + "]";
  }

  private static Map<String, @Nullable Object> unmodifiable(@Nullable Map<String, @Nullable Object> map) {
    return map == null ? Map.of() : Collections.unmodifiableMap(new LinkedHashMap<>(map));
  }

  /**
   * One tensor of the weights.
   *
   * @param name e.g. {@code token_embd.weight}
   * @param type e.g. {@code Q4_K}
   * @param shape its dimensions
   */
  public record Tensor(String name, String type, List<Long> shape) {
    /** Fills in defaults. */
    public Tensor {
      name = name == null ? "" : name;
      type = type == null ? "" : type;
      shape = shape == null ? List.of() : List.copyOf(shape);
    }
  }
}
