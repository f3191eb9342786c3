package dev.keyway.ollama.model;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.JsonSerializer;
import com.fasterxml.jackson.databind.SerializerProvider;
import com.fasterxml.jackson.databind.annotation.JsonSerialize;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * A request to {@code POST /api/embed}: one or more texts to turn into vectors.
 *
 * <pre>{@code
 * EmbedResponse answer = client.embed(EmbedRequest.of("all-minilm", "Why is the sky blue?"));
 * float[] vector = answer.embeddings().get(0);
 * }</pre>
 *
 * <p>One input goes on the wire as a string, several as an array; the answer holds one vector per
 * input, in input order, L2-normalised. No input at all only loads the model. Immutable.
 *
 * @param model the embedding model, {@code name[:tag]}; required
 * @param input the texts to embed; empty loads the model and returns no vectors
 * @param truncate whether to cut inputs that exceed the context window ({@code true} by default on
 *     the server); {@code false} makes a too-long input an error
 * @param dimensions cut each vector to this many dimensions (re-normalised), or {@code null} for
 *     the model's full width
 * @param keepAlive how long to keep the model loaded afterwards, or {@code null}
 * @param options model parameters for this request, or {@code null}
 */
public record EmbedRequest(
    String model,
    @JsonSerialize(using = EmbedRequest.InputSerializer.class)
        @JsonInclude(JsonInclude.Include.NON_EMPTY)
        List<String> input,
    @Nullable Boolean truncate,
    @Nullable Integer dimensions,
    @Nullable KeepAlive keepAlive,
    @Nullable ModelOptions options) {

  /**
   * Validates and copies.
   *
   * @throws IllegalArgumentException if {@code model} is missing or {@code dimensions} is not
   *     positive
   * @throws NullPointerException if an input is {@code null}
   */
  public EmbedRequest {
    if (model == null || model.isBlank()) {
      throw new IllegalArgumentException("EmbedRequest needs a model");
    }
    input = input == null ? List.of() : List.copyOf(input);
    if (dimensions != null && dimensions < 1) {
      throw new IllegalArgumentException("dimensions must be 1 or more, was " + dimensions);
    }
  }

  /** Embeds these texts with {@code model}, with the server's defaults for everything else. */
  public static EmbedRequest of(String model, String... input) {
    return new EmbedRequest(model, Arrays.asList(input), null, null, null, null);
  }

  /** Starts an empty builder; {@link Builder#model(String)} is required. */
  public static Builder builder() {
    return new Builder();
  }

  /** A builder that starts from this request. */
  public Builder toBuilder() {
    Builder b = new Builder().model(model).input(input).truncate(truncate).dimensions(dimensions);
    b.keepAlive = keepAlive;
    b.options = options;
    return b;
  }

  /** Builds an {@link EmbedRequest}. */
  public static final class Builder {
    private @Nullable String model;
    private final List<String> input = new ArrayList<>();
    private @Nullable Boolean truncate;
    private @Nullable Integer dimensions;
    private @Nullable KeepAlive keepAlive;
    private @Nullable ModelOptions options;

    Builder() {}

    /** The embedding model; required. */
    public Builder model(String model) {
      this.model = model;
      return this;
    }

    /** Adds one text to embed. */
    public Builder addInput(String text) {
      input.add(Objects.requireNonNull(text, "text"));
      return this;
    }

    /** Replaces the texts to embed. */
    public Builder input(List<String> texts) {
      input.clear();
      texts.forEach(this::addInput);
      return this;
    }

    /** Whether the server may cut a too-long input; {@code null} for its default ({@code true}). */
    public Builder truncate(@Nullable Boolean truncate) {
      this.truncate = truncate;
      return this;
    }

    /** Cuts each vector to this width, or {@code null} for the full width. */
    public Builder dimensions(@Nullable Integer dimensions) {
      this.dimensions = dimensions;
      return this;
    }

    /** How long to keep the model loaded afterwards. */
    public Builder keepAlive(@Nullable KeepAlive keepAlive) {
      this.keepAlive = keepAlive;
      return this;
    }

    /** Model parameters for this request. */
    public Builder options(@Nullable ModelOptions options) {
      this.options = options;
      return this;
    }

    /**
     * Builds the request.
     *
     * @throws IllegalArgumentException if the model is missing or {@code dimensions} not positive
     */
    // A missing model reaches the constructor, which refuses it with a message naming the field.
    @SuppressWarnings("NullAway")
    public EmbedRequest build() {
      return new EmbedRequest(model, input, truncate, dimensions, keepAlive, options);
    }
  }

  /** One input is sent as a string, as Ollama's own clients do; several as an array. */
  static final class InputSerializer extends JsonSerializer<List<String>> {
    @Override
    public void serialize(List<String> value, JsonGenerator g, SerializerProvider provider)
        throws IOException {
      if (value.size() == 1) {
        g.writeString(value.get(0));
        return;
      }
      g.writeStartArray(value, value.size());
      for (String s : value) {
        g.writeString(s);
      }
      g.writeEndArray();
    }

    @Override
    public boolean isEmpty(SerializerProvider provider, List<String> value) {
      return value == null || value.isEmpty();
    }
  }
}
