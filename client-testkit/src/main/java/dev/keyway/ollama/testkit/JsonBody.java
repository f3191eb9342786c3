package dev.keyway.ollama.testkit;

import com.fasterxml.jackson.core.JsonParseException;
import com.fasterxml.jackson.core.io.JsonEOFException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import org.jspecify.annotations.Nullable;

/** Request bodies decoded the way gin's {@code ShouldBindJSON} does, with Go's error texts. */
final class JsonBody {
  private JsonBody() {}

  /**
   * The body as a JSON object, or null after answering 400: {@code missing request body} when it
   * is empty, Go's syntax error, or {@code json: cannot unmarshal <kind> into Go value of type
   * api.<goType>}. A JSON {@code null} reads as an empty object, as Go leaves the struct untouched.
   * Then every {@code fieldTypes} pair (field name, Go type: {@code string}, {@code bool}, {@code
   * int}, {@code map[…]…} or {@code […]…}) is checked, answering Go's type error for the first
   * field of the wrong kind.
   */
  static @Nullable ObjectNode read(Exchange ex, String goType, String... fieldTypes)
      throws IOException {
    byte[] body = ex.request.body;
    JsonNode json;
    try {
      json = Json.MAPPER.readTree(body);
    } catch (IOException e) {
      ex.error(400, goSyntaxError(body, e));
      return null;
    }
    if (json == null || json.isMissingNode()) {
      ex.error(400, "missing request body");
      return null;
    }
    if (json.isNull()) {
      json = Json.object();
    }
    if (!json.isObject()) {
      ex.error(400,
          "json: cannot unmarshal " + Json.goKind(json) + " into Go value of type api." + goType);
      return null;
    }
    for (int i = 0; i + 1 < fieldTypes.length; i += 2) {
      String error = typeError(json, goType, fieldTypes[i], fieldTypes[i + 1]);
      if (!error.isEmpty()) {
        ex.error(400, error);
        return null;
      }
    }
    return (ObjectNode) json;
  }

  /** The field's text, or {@code ""} when it is absent or not a string. */
  static String text(JsonNode json, String field) {
    JsonNode value = json.get(field);
    return value != null && value.isTextual() ? value.asText() : "";
  }

  /** {@code model}, else the deprecated {@code name}, else {@code ""}. */
  static String modelName(JsonNode json) {
    String model = text(json, "model");
    return model.isEmpty() ? text(json, "name") : model;
  }

  /** Whether to stream: {@code stream} missing, null or true. */
  static boolean stream(JsonNode json) {
    JsonNode stream = json.get("stream");
    return stream == null || !stream.isBoolean() || stream.booleanValue();
  }

  /** Go's type error for {@code field}, or {@code ""} when it is absent, null or of the right kind. */
  static String typeError(JsonNode json, String type, String field, String goType) {
    JsonNode value = json.get(field);
    if (value == null || value.isNull() || fits(value, goType)) {
      return "";
    }
    return "json: cannot unmarshal " + Json.goKind(value) + " into Go struct field " + type + "."
        + field + " of type " + goType;
  }

  private static boolean fits(JsonNode value, String goType) {
    if (goType.equals("string")) {
      return value.isTextual();
    }
    if (goType.equals("bool")) {
      return value.isBoolean();
    }
    if (goType.equals("int")) {
      return value.isIntegralNumber();
    }
    if (goType.startsWith("map[")) {
      return value.isObject();
    }
    if (goType.startsWith("[]")) {
      return value.isArray();
    }
    return true;
  }

  /** Go's wording for a syntax error, near enough: the offending character or end of input. */
  static String goSyntaxError(byte[] body, IOException e) {
    if (e instanceof JsonEOFException) {
      return "unexpected EOF";
    }
    String text = new String(body, StandardCharsets.UTF_8);
    int offset = -1;
    if (e instanceof JsonParseException && ((JsonParseException) e).getLocation() != null) {
      long chars = ((JsonParseException) e).getLocation().getCharOffset();
      long bytes = ((JsonParseException) e).getLocation().getByteOffset();
      offset = (int) (chars >= 0 ? chars : bytes);
    }
    int first = 0;
    while (first < text.length() && Character.isWhitespace(text.charAt(first))) {
      first++;
    }
    char bad;
    String where;
    if (first < text.length() && "{[\"-0123456789tfn".indexOf(text.charAt(first)) < 0) {
      bad = text.charAt(first);
      where = "looking for beginning of value";
    } else if (offset > 0 && offset <= text.length()) {
      bad = text.charAt(Math.max(0, Math.min(offset, text.length()) - 1));
      where = "in JSON input";
    } else {
      return "unexpected EOF";
    }
    return "invalid character '" + bad + "' " + where;
  }
}
