package dev.keyway.ollama.model;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.annotation.JsonAppend;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * A request to {@code POST /api/create}: a new model, either from an existing one
 * ({@code from}) or from weight files uploaded first as blobs ({@code files}).
 *
 * <pre>{@code
 * CreateRequest mario = CreateRequest.builder()
 *     .model("mario")
 *     .from("llama3.2")
 *     .system("You are Mario from Super Mario Bros.")
 *     .parameters(ModelOptions.builder().temperature(0.7).build())
 *     .build();
 * }</pre>
 *
 * <p>There is no {@code stream} field: the client sets it for the method called. Immutable.
 *
 * @param model the new model's name; required
 * @param from an existing model to build on, or {@code null}
 * @param files weight files (GGUF or safetensors) by file name, each a digest {@code sha256:…}
 *     returned by {@code uploadBlob}; empty when building from {@code from}
 * @param adapters LoRA adapters by file name, each a blob digest
 * @param template a prompt template, or {@code null}
 * @param system a system prompt, or {@code null}
 * @param license license text, or {@code null}
 * @param parameters default model parameters, or {@code null}
 * @param messages messages to start every conversation with
 * @param quantize quantize the weights to this type, e.g. {@code q4_K_M} or {@code q8_0}, or
 *     {@code null}
 */
@JsonAppend(attrs = @JsonAppend.Attr(value = "stream"))
public record CreateRequest(
    String model,
    @Nullable String from,
    @JsonInclude(JsonInclude.Include.NON_EMPTY) Map<String, String> files,
    @JsonInclude(JsonInclude.Include.NON_EMPTY) Map<String, String> adapters,
    @Nullable String template,
    @Nullable String system,
    @Nullable String license,
    @Nullable ModelOptions parameters,
    @JsonInclude(JsonInclude.Include.NON_EMPTY) List<Message> messages,
    @Nullable String quantize) {

  /**
   * Validates and copies.
   *
   * @throws IllegalArgumentException if {@code model} is missing, neither {@code from} nor
   *     {@code files} is given, or a file's digest is not {@code sha256:} and 64 hex digits
   */
  public CreateRequest {
    if (model == null || model.isBlank()) {
      throw new IllegalArgumentException("CreateRequest needs a model name");
    }
    files = files == null ? Map.of() : copy(files);
    adapters = adapters == null ? Map.of() : copy(adapters);
    messages = messages == null ? List.of() : List.copyOf(messages);
    if ((from == null || from.isBlank()) && files.isEmpty()) {
      throw new IllegalArgumentException(
          "CreateRequest needs from(existing model) or files(name → sha256 digest of an uploaded blob)");
    }
    files.values().forEach(Digests::check);
    adapters.values().forEach(Digests::check);
  }

  private static Map<String, String> copy(Map<String, String> map) {
    Map<String, String> copy = new LinkedHashMap<>();
    map.forEach((k, v) -> copy.put(Objects.requireNonNull(k, "file name"), Objects.requireNonNull(v, "digest")));
    return Collections.unmodifiableMap(copy);
  }

  /** Starts an empty builder; the model name and {@code from} or a file are required. */
  public static Builder builder() {
    return new Builder();
  }

  /** Builds a {@link CreateRequest}. */
  public static final class Builder {
    private @Nullable String model;
    private @Nullable String from;
    private final Map<String, String> files = new LinkedHashMap<>();
    private final Map<String, String> adapters = new LinkedHashMap<>();
    private @Nullable String template;
    private @Nullable String system;
    private @Nullable String license;
    private @Nullable ModelOptions parameters;
    private final List<Message> messages = new ArrayList<>();
    private @Nullable String quantize;

    Builder() {}

    /** The new model's name; required. */
    public Builder model(String model) {
      this.model = model;
      return this;
    }

    /** An existing model to build on. */
    public Builder from(@Nullable String from) {
      this.from = from;
      return this;
    }

    /** Adds a weight file: its name and the digest {@code uploadBlob} returned for it. */
    public Builder addFile(String fileName, String digest) {
      files.put(fileName, digest);
      return this;
    }

    /** Adds a LoRA adapter: its name and the digest {@code uploadBlob} returned for it. */
    public Builder addAdapter(String fileName, String digest) {
      adapters.put(fileName, digest);
      return this;
    }

    /** A prompt template. */
    public Builder template(@Nullable String template) {
      this.template = template;
      return this;
    }

    /** A system prompt. */
    public Builder system(@Nullable String system) {
      this.system = system;
      return this;
    }

    /** License text. */
    public Builder license(@Nullable String license) {
      this.license = license;
      return this;
    }

    /** Default model parameters. */
    public Builder parameters(@Nullable ModelOptions parameters) {
      this.parameters = parameters;
      return this;
    }

    /** Adds a message every conversation starts with. */
    public Builder addMessage(Message message) {
      messages.add(Objects.requireNonNull(message, "message"));
      return this;
    }

    /** Quantize the weights to this type, e.g. {@code q4_K_M}. */
    public Builder quantize(@Nullable String quantize) {
      this.quantize = quantize;
      return this;
    }

    /**
     * Builds the request.
     *
     * @throws IllegalArgumentException as {@link CreateRequest#CreateRequest} does
     */
    // A missing model reaches the constructor, which refuses it with a message naming the field.
    @SuppressWarnings("NullAway")
    public CreateRequest build() {
      return new CreateRequest(model, from, files, adapters, template, system, license, parameters,
          messages, quantize);
    }
  }
}
