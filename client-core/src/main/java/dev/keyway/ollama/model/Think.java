package dev.keyway.ollama.model;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import com.fasterxml.jackson.databind.JsonNode;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * Whether, and how hard, a thinking model should reason before it answers. On the wire it is
 * {@code true}, {@code false} or a level string such as {@code "high"}.
 *
 * <p>Leaving {@code think} out lets the server decide: it turns thinking on for models that can
 * think. {@link #enabled()} on a model without the {@code thinking} capability is rejected with
 * 400. Immutable; equal when the wire values are equal.
 */
public final class Think {
  private static final Think ENABLED = new Think(Boolean.TRUE);
  private static final Think DISABLED = new Think(Boolean.FALSE);

  /** Level {@code "low"}. */
  public static final Think LOW = new Think("low");
  /** Level {@code "medium"}. */
  public static final Think MEDIUM = new Think("medium");
  /** Level {@code "high"}. */
  public static final Think HIGH = new Think("high");
  /** Level {@code "max"}, accepted since Ollama v0.21.3; gpt-oss treats it as {@code "high"}. */
  public static final Think MAX = new Think("max");

  private final Object value;

  private Think(Object value) {
    this.value = value;
  }

  /** Thinking on: {@code "think":true}. */
  public static Think enabled() {
    return ENABLED;
  }

  /** Thinking off: {@code "think":false}. Some models (gpt-oss) cannot turn it off. */
  public static Think disabled() {
    return DISABLED;
  }

  /**
   * A named level. Ollama v0.33 accepts {@code low}, {@code medium}, {@code high} and {@code max}
   * (see the constants); the string is sent as given, so newer, model-specific levels work too.
   *
   * @throws IllegalArgumentException if {@code level} is blank
   */
  public static Think level(String level) {
    Objects.requireNonNull(level, "level");
    if (level.isBlank()) {
      throw new IllegalArgumentException("think level must not be blank");
    }
    return new Think(level);
  }

  @JsonCreator(mode = JsonCreator.Mode.DELEGATING)
  static Think fromJson(JsonNode node) {
    if (node.isBoolean()) {
      return node.booleanValue() ? ENABLED : DISABLED;
    }
    if (node.isTextual()) {
      return level(node.textValue());
    }
    throw new IllegalArgumentException("think must be a boolean or a level string");
  }

  /** The wire value: a {@link Boolean} or a level {@link String}. */
  @JsonValue
  public Object value() {
    return value;
  }

  @Override
  public boolean equals(@Nullable Object o) {
    return o instanceof Think && ((Think) o).value.equals(value);
  }

  @Override
  public int hashCode() {
    return value.hashCode();
  }

  @Override
  public String toString() {
    return "Think[" + value + "]";
  }
}
