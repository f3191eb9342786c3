package dev.keyway.ollama.internal;

import com.fasterxml.jackson.core.JsonParseException;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectReader;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import org.jspecify.annotations.Nullable;

/**
 * Decodes one stream chunk from a parser positioned on its {@code START_OBJECT}, leaving it on the
 * matching {@code END_OBJECT}. Chat and generate chunks, read once per token, have hand-written
 * decoders ({@link ChatChunkDecoder}, {@link GenerateChunkDecoder}) that allocate little more than
 * the chunk itself; other streams go through databind. One instance per stream, one thread.
 */
abstract class ChunkDecoder<T> {
  /** The {@code error} field of the last chunk decoded, or {@code null}. */
  @Nullable String error;

  abstract T decode(JsonParser p) throws IOException;

  /** Databind for the rare streams (pull, push, create progress). */
  static <T> ChunkDecoder<T> databind(Class<T> type) {
    ObjectReader reader = Json.MAPPER.readerFor(type);
    return new ChunkDecoder<>() {
      @Override
      T decode(JsonParser p) throws IOException {
        JsonNode node = Json.MAPPER.readTree(p);
        JsonNode e = node.get("error");
        error = e == null || e.isNull() ? null : e.isTextual() ? e.asText() : e.toString();
        return reader.readValue(node);
      }
    };
  }

  // --- field readers shared by the hand-written decoders ----------------------------------------

  static @Nullable String string(JsonParser p) throws IOException {
    JsonToken t = p.currentToken();
    if (t == JsonToken.VALUE_STRING) {
      return p.getText();
    }
    if (t == JsonToken.VALUE_NULL) {
      return null;
    }
    throw new JsonParseException(p, "expected a string for \"" + p.currentName() + "\", got " + t);
  }

  /** Like {@link #string}, but returns {@code same} instead of a copy when the text equals it. */
  static @Nullable String sameOrString(JsonParser p, @Nullable String same) throws IOException {
    if (same != null && p.currentToken() == JsonToken.VALUE_STRING && p.getTextLength() == same.length()) {
      char[] chars = p.getTextCharacters();
      int off = p.getTextOffset();
      boolean equal = true;
      for (int i = 0; i < same.length(); i++) {
        if (chars[off + i] != same.charAt(i)) {
          equal = false;
          break;
        }
      }
      if (equal) {
        return same;
      }
    }
    return string(p);
  }

  static boolean bool(JsonParser p) throws IOException {
    JsonToken t = p.currentToken();
    if (t == JsonToken.VALUE_TRUE || t == JsonToken.VALUE_FALSE) {
      return t == JsonToken.VALUE_TRUE;
    }
    if (t == JsonToken.VALUE_NULL) {
      return false;
    }
    throw new JsonParseException(p, "expected true or false for \"" + p.currentName() + "\", got " + t);
  }

  static @Nullable Integer integer(JsonParser p) throws IOException {
    JsonToken t = p.currentToken();
    if (t == JsonToken.VALUE_NUMBER_INT) {
      return p.getIntValue(); // out of int range: InputCoercionException, a typed error
    }
    if (t == JsonToken.VALUE_NULL) {
      return null;
    }
    throw new JsonParseException(p, "expected an integer for \"" + p.currentName() + "\", got " + t);
  }

  /** Go's {@code time.Duration}: integer nanoseconds. */
  static @Nullable Duration nanos(JsonParser p) throws IOException {
    JsonToken t = p.currentToken();
    if (t == JsonToken.VALUE_NUMBER_INT) {
      return Duration.ofNanos(p.getLongValue());
    }
    if (t == JsonToken.VALUE_NUMBER_FLOAT) {
      return Duration.ofNanos((long) p.getDoubleValue());
    }
    if (t == JsonToken.VALUE_NULL) {
      return null;
    }
    throw new JsonParseException(p, "expected nanoseconds for \"" + p.currentName() + "\", got " + t);
  }

  static @Nullable Instant instant(JsonParser p) throws IOException {
    JsonToken t = p.currentToken();
    if (t == JsonToken.VALUE_NULL) {
      return null;
    }
    if (t != JsonToken.VALUE_STRING) {
      throw new JsonParseException(p, "expected a timestamp for \"" + p.currentName() + "\", got " + t);
    }
    try {
      return Rfc3339.instant(p.getTextCharacters(), p.getTextOffset(), p.getTextLength());
    } catch (DateTimeParseException e) { // its message quotes the text: not kept as the cause
      throw new JsonParseException(p, "not an RFC 3339 timestamp in \"" + p.currentName() + "\"");
    }
  }

  /** The error field's text: a string as it is, anything else as JSON. */
  static @Nullable String errorText(JsonParser p) throws IOException {
    JsonToken t = p.currentToken();
    if (t == JsonToken.VALUE_NULL) {
      return null;
    }
    if (t == JsonToken.VALUE_STRING) {
      return p.getText();
    }
    return Json.MAPPER.readTree(p).toString();
  }
}
