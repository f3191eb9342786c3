package dev.keyway.ollama.model;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import dev.keyway.ollama.internal.Json;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/** Copies and parses the free-form JSON objects that ride in tools, tool calls and formats. */
final class JsonValues {
  private JsonValues() {}

  /**
   * A deep, unmodifiable copy of a JSON object that keeps key order. Nested maps and collections
   * are copied too; JSON {@code null} values are kept. A {@code null} map gives an empty one.
   */
  static Map<String, Object> copyObject(@Nullable Map<String, ?> map) {
    if (map == null || map.isEmpty()) {
      return Map.of();
    }
    Map<String, Object> copy = new LinkedHashMap<>();
    for (Map.Entry<String, ?> e : map.entrySet()) {
      String key = e.getKey();
      if (key == null) {
        throw new NullPointerException("JSON object keys must not be null");
      }
      copy.put(key, copyValue(e.getValue()));
    }
    return Collections.unmodifiableMap(copy);
  }

  @SuppressWarnings("unchecked")
  private static @Nullable Object copyValue(@Nullable Object value) {
    if (value instanceof Map) {
      return copyObject((Map<String, ?>) value);
    }
    if (value instanceof Collection) {
      List<@Nullable Object> list = new ArrayList<>();
      for (Object item : (Collection<?>) value) {
        list.add(copyValue(item));
      }
      return Collections.unmodifiableList(list);
    }
    return value;
  }

  /**
   * Parses {@code json}, which must be a JSON object.
   *
   * @param what names the value in the exception message, e.g. {@code "tool 'x' parameters"}
   * @throws IllegalArgumentException if the text is not JSON or not an object
   */
  static Map<String, Object> parseObject(String json, String what) {
    JsonNode node;
    try {
      node = Json.MAPPER.readTree(json);
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException(what + " is not valid JSON: " + e.getOriginalMessage(), e);
    }
    if (node == null || !node.isObject()) {
      throw new IllegalArgumentException(
          what + " must be a JSON object, got " + (node == null ? "nothing" : node.getNodeType()));
    }
    @SuppressWarnings("unchecked")
    Map<String, Object> map = Json.MAPPER.convertValue(node, LinkedHashMap.class);
    return copyObject(map);
  }
}
