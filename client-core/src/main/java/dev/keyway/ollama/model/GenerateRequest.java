package dev.keyway.ollama.model;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.annotation.JsonAppend;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * A request to {@code POST /api/generate}: a single prompt, completed by the model.
 *
 * <pre>{@code
 * GenerateRequest request = GenerateRequest.builder()
 *     .model("gemma4")
 *     .prompt("Why is the sky blue?")
 *     .build();
 * }</pre>
 *
 * <p>There is no {@code stream} field: the client sets it on the wire for the method called, as
 * the serialization attribute {@code "stream"} (see {@link ChatRequest}). An empty prompt only
 * loads the model. Immutable; {@link #toString()} shows the number of images, not their data.
 *
 * @param model the model name, {@code name[:tag]}; required
 * @param prompt the text to complete, or {@code null}
 * @param suffix text after the completion, for fill-in-the-middle (needs the {@code insert}
 *     capability), or {@code null}
 * @param system a system prompt that overrides the Modelfile's, or {@code null}
 * @param template a Go template that overrides the Modelfile's, or {@code null}
 * @param context token ids returned by a previous response, to continue it; deprecated by Ollama
 *     but still honoured. Left out when empty.
 * @param raw whether to send the prompt without templating (not with {@code template},
 *     {@code system} or {@code context}), or {@code null}
 * @param images images as plain standard base64, for multimodal models; left out when empty
 * @param format constrain the answer to JSON or a JSON Schema, or {@code null}
 * @param options model parameters for this request, or {@code null}
 * @param think whether and how hard to think, or {@code null} for the model's default
 * @param keepAlive how long to keep the model loaded afterwards, or {@code null}
 * @param truncate whether to cut the prompt to fit the context window, or {@code null}
 * @param shift whether to shift the context window when generation reaches its end, or
 *     {@code null}
 * @param logprobs whether to return the log probability of each output token, or {@code null}
 * @param topLogprobs how many likeliest alternatives to return with each token, 0 to 20, or
 *     {@code null}
 */
@JsonAppend(attrs = @JsonAppend.Attr(value = "stream"))
public record GenerateRequest(
    String model,
    @Nullable String prompt,
    @Nullable String suffix,
    @Nullable String system,
    @Nullable String template,
    @JsonInclude(JsonInclude.Include.NON_EMPTY) List<Integer> context,
    @Nullable Boolean raw,
    @JsonInclude(JsonInclude.Include.NON_EMPTY) List<String> images,
    @Nullable Format format,
    @Nullable ModelOptions options,
    @Nullable Think think,
    @Nullable KeepAlive keepAlive,
    @Nullable Boolean truncate,
    @Nullable Boolean shift,
    @Nullable Boolean logprobs,
    @Nullable Integer topLogprobs) {

  /**
   * Validates and copies the lists; {@code null} lists become empty.
   *
   * @throws IllegalArgumentException if {@code model} is {@code null} or blank, an image is a
   *     {@code data:} URL, or {@code topLogprobs} is outside 0..20
   * @throws NullPointerException if a list holds {@code null}
   */
  public GenerateRequest {
    if (model == null || model.isBlank()) {
      throw new IllegalArgumentException("GenerateRequest needs a model");
    }
    context = context == null ? List.of() : List.copyOf(context);
    images = images == null ? List.of() : List.copyOf(images);
    images.forEach(Message::checkBase64Image);
    ChatRequest.checkTopLogprobs(topLogprobs);
  }

  /** Starts an empty builder; {@link Builder#model(String)} is required. */
  public static Builder builder() {
    return new Builder();
  }

  /** A builder that starts from this request, for example to continue with a new prompt. */
  public Builder toBuilder() {
    Builder b = new Builder();
    b.model = model;
    b.prompt = prompt;
    b.suffix = suffix;
    b.system = system;
    b.template = template;
    b.context.addAll(context);
    b.raw = raw;
    b.images.addAll(images);
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

  /** Like the record's, but shows the number of images instead of their base64 data. */
  @Override
  public String toString() {
    return "GenerateRequest[model=" + model + ", prompt=" + prompt + ", suffix=" + suffix
        + ", system=" + system + ", template=" + template + ", context=" + context.size()
        + " tokens, raw=" + raw + ", images=" + images.size() + ", format=" + format
        + ", options=" + options + ", think=" + think + ", keepAlive=" + keepAlive
        + ", truncate=" + truncate + ", shift=" + shift + ", logprobs=" + logprobs
        + ", topLogprobs=" + topLogprobs + "]";
  }

  /**
   * Builds a {@link GenerateRequest}. Setters for optional values take {@code null} to unset them.
   * Not thread-safe.
   */
  public static final class Builder {
    private @Nullable String model;
    private @Nullable String prompt;
    private @Nullable String suffix;
    private @Nullable String system;
    private @Nullable String template;
    private final List<Integer> context = new ArrayList<>();
    private @Nullable Boolean raw;
    private final List<String> images = new ArrayList<>();
    private @Nullable Format format;
    private @Nullable ModelOptions options;
    private @Nullable Think think;
    private @Nullable KeepAlive keepAlive;
    private @Nullable Boolean truncate;
    private @Nullable Boolean shift;
    private @Nullable Boolean logprobs;
    private @Nullable Integer topLogprobs;

    Builder() {}

    /** Sets the model name, e.g. {@code "gemma4"}. Required. */
    public Builder model(String model) {
      this.model = model;
      return this;
    }

    /** Sets the text to complete. */
    public Builder prompt(@Nullable String prompt) {
      this.prompt = prompt;
      return this;
    }

    /** Sets the text that follows the completion, for fill-in-the-middle. */
    public Builder suffix(@Nullable String suffix) {
      this.suffix = suffix;
      return this;
    }

    /** Overrides the Modelfile's system prompt. */
    public Builder system(@Nullable String system) {
      this.system = system;
      return this;
    }

    /** Overrides the Modelfile's prompt template (Go template syntax). */
    public Builder template(@Nullable String template) {
      this.template = template;
      return this;
    }

    /** Replaces the context: token ids from a previous {@link GenerateResponse#context()}. */
    public Builder context(List<Integer> context) {
      this.context.clear();
      this.context.addAll(context);
      return this;
    }

    /** Sets whether to send the prompt as is, without the model's template. */
    public Builder raw(@Nullable Boolean raw) {
      this.raw = raw;
      return this;
    }

    /**
     * Adds an image from a file (PNG, JPEG…), read now and encoded as standard base64.
     *
     * @throws java.io.UncheckedIOException if the file cannot be read
     */
    public Builder addImage(Path file) {
      images.add(Message.encodeImage(file));
      return this;
    }

    /** Adds an image from its raw bytes (PNG, JPEG…), encoded here as standard base64. */
    public Builder addImage(byte[] raw) {
      images.add(Message.encodeImage(raw));
      return this;
    }

    /**
     * Adds an image that is already base64 encoded.
     *
     * @throws IllegalArgumentException if it is a {@code data:} URL or blank; pass plain base64
     */
    public Builder addImageBase64(String base64) {
      images.add(Message.checkBase64Image(base64));
      return this;
    }

    /**
     * Replaces the images with these base64 strings.
     *
     * @throws IllegalArgumentException if one is a {@code data:} URL or blank
     */
    public Builder images(List<String> base64Images) {
      images.clear();
      for (String image : base64Images) {
        addImageBase64(image);
      }
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

    /** Sets whether to cut the prompt to fit the context window. */
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

    /** Sets how many likeliest alternatives to return with each token, 0 to 20. */
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
    public GenerateRequest build() {
      if (model == null || model.isBlank()) {
        throw new IllegalStateException("GenerateRequest needs a model: call model(\"…\")");
      }
      return new GenerateRequest(model, prompt, suffix, system, template, context, raw, images,
          format, options, think, keepAlive, truncate, shift, logprobs, topLogprobs);
    }
  }
}
