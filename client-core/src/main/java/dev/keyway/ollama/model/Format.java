package dev.keyway.ollama.model;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import com.fasterxml.jackson.databind.JsonNode;
import dev.keyway.ollama.internal.Json;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * The shape the answer must take: any JSON ({@link #json()}) or JSON matching a schema
 * ({@link #schema(Map)}). On the wire it is the string {@code "json"} or the schema object.
 *
 * <p>Immutable; equal when the wire values are equal.
 */
public final class Format {
  private static final String JSON = "json";
  private static final Format JSON_FORMAT = new Format(JSON);

  private final Object value;

  private Format(Object value) {
    this.value = value;
  }

  /** Any valid JSON: {@code "format":"json"}. */
  public static Format json() {
    return JSON_FORMAT;
  }

  /**
   * JSON matching a JSON Schema, applied by constrained decoding.
   *
   * @param schema the schema object; copied deeply, key order kept
   */
  public static Format schema(Map<String, ?> schema) {
    return new Format(JsonValues.copyObject(Objects.requireNonNull(schema, "schema")));
  }

  /**
   * JSON matching a JSON Schema given as text.
   *
   * @throws IllegalArgumentException if the text is not a JSON object
   */
  public static Format schema(String schemaJson) {
    Objects.requireNonNull(schemaJson, "schemaJson");
    return new Format(JsonValues.parseObject(schemaJson, "format schema"));
  }

  @JsonCreator(mode = JsonCreator.Mode.DELEGATING)
  static Format fromJson(JsonNode node) {
    if (node.isTextual() && JSON.equals(node.textValue())) {
      return JSON_FORMAT;
    }
    if (node.isObject()) {
      @SuppressWarnings("unchecked")
      Map<String, Object> map = Json.MAPPER.convertValue(node, LinkedHashMap.class);
      return schema(map);
    }
    throw new IllegalArgumentException("format must be \"json\" or a JSON Schema object");
  }

  /** Whether this is plain {@code "json"} rather than a schema. */
  public boolean isJson() {
    return JSON.equals(value);
  }

  /**
   * The wire value: the string {@code "json"}, or the schema as an unmodifiable
   * {@code Map<String, Object>}.
   */
  @JsonValue
  public Object value() {
    return value;
  }

  @Override
  public boolean equals(@Nullable Object o) {
    return o instanceof Format && ((Format) o).value.equals(value);
  }

  @Override
  public int hashCode() {
    return value.hashCode();
  }

  @Override
  public String toString() {
    return isJson() ? "Format[json]" : "Format[schema=" + value + "]";
  }
}
