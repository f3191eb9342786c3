package dev.keyway.ollama.testkit;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.SerializableString;
import com.fasterxml.jackson.core.io.CharacterEscapes;
import com.fasterxml.jackson.core.io.SerializedString;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import org.jspecify.annotations.Nullable;

/** JSON written the way Go's {@code encoding/json} writes it, and Ollama's timestamp format. */
final class Json {
  /** Our own mapper: never the application's, and escaping like Go (see ollama-api.md 1.4). */
  static final ObjectMapper MAPPER = new ObjectMapper();

  static {
    MAPPER.getFactory().setCharacterEscapes(new GoEscapes());
  }

  private static final DateTimeFormatter SECONDS =
      DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss");

  private Json() {}

  static ObjectNode object() {
    return MAPPER.createObjectNode();
  }

  static byte[] bytes(JsonNode node) {
    try {
      return MAPPER.writeValueAsBytes(node);
    } catch (JsonProcessingException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** One NDJSON line: the object and a trailing newline. */
  static byte[] line(JsonNode node) {
    byte[] json = bytes(node);
    byte[] line = new byte[json.length + 1];
    System.arraycopy(json, 0, line, 0, json.length);
    line[json.length] = '\n';
    return line;
  }

  static byte[] error(String message) {
    return bytes(object().put("error", message));
  }

  /** {@code created_at}: RFC 3339 in UTC with the fraction's trailing zeros trimmed, as Go does. */
  static String timestamp(Instant instant) {
    return timestamp(instant.atOffset(ZoneOffset.UTC));
  }

  /** RFC 3339 with nanoseconds, trailing zeros trimmed, {@code Z} or {@code +hh:mm}. */
  static String timestamp(OffsetDateTime time) {
    StringBuilder out = new StringBuilder(35).append(SECONDS.format(time));
    int nanos = time.getNano();
    if (nanos != 0) {
      String fraction = String.format("%09d", nanos);
      int end = fraction.length();
      while (fraction.charAt(end - 1) == '0') {
        end--;
      }
      out.append('.').append(fraction, 0, end);
    }
    ZoneOffset offset = time.getOffset();
    out.append(offset.getTotalSeconds() == 0 ? "Z" : offset.getId());
    return out.toString();
  }

  /** What Go's decoder would say about JSON of the wrong kind, e.g. {@code array}. */
  static String goKind(@Nullable JsonNode node) {
    if (node == null || node.isNull()) {
      return "null";
    }
    if (node.isTextual()) {
      return "string";
    }
    if (node.isNumber()) {
      return "number";
    }
    if (node.isBoolean()) {
      return "bool";
    }
    if (node.isArray()) {
      return "array";
    }
    return "object";
  }

  /** Go escapes {@code < > &} and U+2028/U+2029, with lowercase hex. */
  private static final class GoEscapes extends CharacterEscapes {
    private static final long serialVersionUID = 1L;
    private final int[] ascii = standardAsciiEscapesForJSON();

    GoEscapes() {
      ascii['<'] = ESCAPE_CUSTOM;
      ascii['>'] = ESCAPE_CUSTOM;
      ascii['&'] = ESCAPE_CUSTOM;
    }

    @Override
    public int[] getEscapeCodesForAscii() {
      return ascii;
    }

    @Override
    public @Nullable SerializableString getEscapeSequence(int ch) {
      switch (ch) {
        case '<':
          return new SerializedString("\\u003c");
        case '>':
          return new SerializedString("\\u003e");
        case '&':
          return new SerializedString("\\u0026");
        case 0x2028:
          return new SerializedString("\\u2028");
        case 0x2029:
          return new SerializedString("\\u2029");
        default:
          return null;
      }
    }
  }
}
