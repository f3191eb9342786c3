package dev.keyway.ollama.model;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.annotation.JsonAppend;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * A request to {@code POST /api/chat}: a model and the conversation so far.
 *
 * <pre>{@code
 * ChatRequest request = ChatRequest.builder()
 *     .model("llama3.2")
 *     .messages(Message.system("Answer briefly."), Message.user("Why is the sky blue?"))
 *     .options(ModelOptions.builder().temperature(0.2).build())
 *     .build();
 * }</pre>
 *
 * <p>There is no {@code stream} field: the client sets it on the wire for the method called, as
 * the serialization attribute {@code "stream"} that {@code @JsonAppend} appends to the object
 * ({@code writerFor(ChatRequest.class).withAttribute("stream", true)}); without the attribute no
 * {@code stream} key is written. An empty message list only loads the model. Immutable.
 *
 * @param model the model name, {@code name[:tag]}; required
 * @param messages the conversation, oldest first; always sent, even when empty
 * @param tools tools the model may call; left out when empty
 * @param format constrain the answer to JSON or a JSON Schema, or {@code null}
 * @param options model parameters for this request, or {@code null}
 * @param think whether and how hard to think, or {@code null} for the model's default
 * @param keepAlive how long to keep the model loaded afterwards, or {@code null} for the server's
 *     default
 * @param truncate whether to drop the oldest history when the prompt exceeds the context window
 *     (server default {@code true}), or {@code null}
 * @param shift whether to shift the context window when generation reaches its end (server
 *     default {@code true}), or {@code null}
 * @param logprobs whether to return the log probability of each output token, or {@code null}
 * @param topLogprobs how many likeliest alternatives to return with each token, 0 to 20, or
 *     {@code null}
 */
@JsonAppend(attrs = @JsonAppend.Attr(value = "stream"))
public record ChatRequest(
    String model,
    List<Message> messages,
    @JsonInclude(JsonInclude.Include.NON_EMPTY) List<Tool> tools,
    @Nullable Format format,
    @Nullable ModelOptions options,
    @Nullable Think think,
    @Nullable KeepAlive keepAlive,
    @Nullable Boolean truncate,
    @Nullable Boolean shift,
    @Nullable Boolean logprobs,
    @Nullable Integer topLogprobs) {

  /** Most alternatives Ollama returns per token: {@value}. */
  public static final int MAX_TOP_LOGPROBS = 20;

  /**
   * Validates and copies the lists; {@code null} lists become empty.
   *
   * @throws IllegalArgumentException if {@code model} is {@code null} or blank, or
   *     {@code topLogprobs} is outside 0..20
   * @throws NullPointerException if a list holds {@code null}
   */
  public ChatRequest {
    if (model == null || model.isBlank()) {
      throw new IllegalArgumentException("ChatRequest needs a model");
    }
    messages = messages == null ? List.of() : List.copyOf(messages);
    tools = tools == null ? List.of() : List.copyOf(tools);
    checkTopLogprobs(topLogprobs);
  }

  static void checkTopLogprobs(@Nullable Integer topLogprobs) {
    if (topLogprobs != null && (topLogprobs < 0 || topLogprobs > MAX_TOP_LOGPROBS)) {
      throw new IllegalArgumentException(
          "topLogprobs must be between 0 and " + MAX_TOP_LOGPROBS + ", got " + topLogprobs);
    }
  }

  /** Starts an empty builder; {@link Builder#model(String)} is required. */
  public static Builder builder() {
    return new Builder();
  }

  /** A builder that starts from this request, for a variant or the next turn. */
  public Builder toBuilder() {
    Builder b = new Builder();
    b.model = model;
    b.messages.addAll(messages);
    b.tools.addAll(tools);
    b.format = format;
    b.options = options;
    b.think = think;
    b.keepAlive = keepAlive;
    b.truncate = truncate;
    b.shift = shift;
    b.logprobs = logprobs;
    b.topLogprobs = topLogprobs;
    return b;
  }

  /**
   * Builds a {@link ChatRequest}. Setters for optional values take {@code null} to unset them.
   * Not thread-safe.
   */
  public static final class Builder {
    private @Nullable String model;
    private final List<Message> messages = new ArrayList<>();
    private final List<Tool> tools = new ArrayList<>();
    private @Nullable Format format;
    private @Nullable ModelOptions options;
    private @Nullable Think think;
    private @Nullable KeepAlive keepAlive;
    private @Nullable Boolean truncate;
    private @Nullable Boolean shift;
    private @Nullable Boolean logprobs;
    private @Nullable Integer topLogprobs;

    Builder() {}

    /** Sets the model name, e.g. {@code "llama3.2"} or {@code "qwen3:8b"}. Required. */
    public Builder model(String model) {
      this.model = model;
      return this;
    }

    /** Replaces the conversation. */
    public Builder messages(List<Message> messages) {
      this.messages.clear();
      this.messages.addAll(messages);
      return this;
    }

    /** Replaces the conversation. */
    public Builder messages(Message... messages) {
      return messages(List.of(messages));
    }

    /** Appends a message to the conversation. */
    public Builder addMessage(Message message) {
      messages.add(message);
      return this;
    }

    /** Replaces the tools. */
    public Builder tools(List<Tool> tools) {
      this.tools.clear();
      this.tools.addAll(tools);
      return this;
    }

    /** Replaces the tools. */
    public Builder tools(Tool... tools) {
      return tools(List.of(tools));
    }

    /** Adds a tool the model may call. */
    public Builder addTool(Tool tool) {
      tools.add(tool);
      return this;
    }

    /** Constrains the answer to JSON or a JSON Schema. */
    public Builder format(@Nullable Format format) {
      this.format = format;
      return this;
    }

    /** Sets model parameters for this request. */
    public Builder options(@Nullable ModelOptions options) {
      this.options = options;
      return this;
    }

    /** Sets whether and how hard the model thinks. */
    public Builder think(@Nullable Think think) {
      this.think = think;
      return this;
    }

    /** Turns thinking on or off: {@link Think#enabled()} or {@link Think#disabled()}. */
    public Builder think(boolean think) {
      return think(think ? Think.enabled() : Think.disabled());
    }

    /** Sets how long the model stays loaded afterwards. */
    public Builder keepAlive(@Nullable KeepAlive keepAlive) {
      this.keepAlive = keepAlive;
      return this;
    }

    /** Sets how long the model stays loaded afterwards; see {@link KeepAlive#of(Duration)}. */
    public Builder keepAlive(Duration keepAlive) {
      return keepAlive(KeepAlive.of(keepAlive));
    }

    /** Sets whether to drop the oldest history when the prompt is too long for the context. */
    public Builder truncate(@Nullable Boolean truncate) {
      this.truncate = truncate;
      return this;
    }

    /** Sets whether to shift the context window when generation reaches its end. */
    public Builder shift(@Nullable Boolean shift) {
      this.shift = shift;
      return this;
    }

    /** Sets whether to return each output token's log probability. */
    public Builder logprobs(@Nullable Boolean logprobs) {
      this.logprobs = logprobs;
      return this;
    }

    /**
     * Sets how many likeliest alternatives to return with each token, 0 to 20; Ollama only
     * returns them with {@code logprobs(true)}.
     */
    public Builder topLogprobs(@Nullable Integer topLogprobs) {
      this.topLogprobs = topLogprobs;
      return this;
    }

    /**
     * A new request.
     *
     * @throws IllegalStateException if no model was set
     * @throws IllegalArgumentException if {@code topLogprobs} is outside 0..20
     */
    public ChatRequest build() {
      if (model == null || model.isBlank()) {
        throw new IllegalStateException("ChatRequest needs a model: call model(\"…\")");
      }
      return new ChatRequest(model, messages, tools, format, options, think, keepAlive, truncate,
          shift, logprobs, topLogprobs);
    }
  }
}
