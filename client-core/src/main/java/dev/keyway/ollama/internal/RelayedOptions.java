package dev.keyway.ollama.internal;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import dev.keyway.ollama.model.ModelOptions;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * The sampling options of a relayed body, for its observation: the body's top-level
 * {@code options} object, keeping only what OpenTelemetry's GenAI conventions name (the numbers
 * {@code temperature}, {@code top_p}, {@code top_k}, {@code num_predict}, {@code seed},
 * {@code presence_penalty}, {@code frequency_penalty}, and {@code stop}). Nothing else of the body
 * is kept: not its messages or prompt, nor any other option.
 *
 * <p>One pass of Jackson's token stream over the body, no tree: other fields are skipped. When
 * {@code options} appears twice the last one counts, as in Ollama's decoder. A body that is not a
 * JSON object, or has no usable option, gives {@code null}; the body is sent unchanged either way.
 */
final class RelayedOptions {
  private static final Set<String> NUMBERS = Set.of("temperature", "top_p", "top_k", "num_predict",
      "seed", "presence_penalty", "frequency_penalty");
  /** {@code stop} is kept only with at most this many sequences … */
  static final int MAX_STOP_SEQUENCES = 16;
  /** … of at most this many characters each (a span attribute, set by whoever sent the body). */
  static final int MAX_STOP_LENGTH = 256;

  private RelayedOptions() {}

  /** The named options of {@code json}'s top-level {@code options}, or {@code null} for none. */
  static @Nullable ModelOptions read(byte[] json) {
    try (JsonParser parser = Json.MAPPER.getFactory().createParser(json)) {
      if (parser.nextToken() != JsonToken.START_OBJECT) {
        return null;
      }
      ModelOptions found = null;
      while (parser.nextToken() == JsonToken.FIELD_NAME) {
        String name = parser.currentName();
        JsonToken value = parser.nextToken();
        if ("options".equals(name)) {
          found = value == JsonToken.START_OBJECT ? options(parser) : null;
        } else {
          parser.skipChildren();
        }
      }
      return found;
    } catch (IOException | RuntimeException e) { // not JSON: nothing to report
      return null;
    }
  }

  /** Reads the object the parser is at (its start token) to its end. */
  private static @Nullable ModelOptions options(JsonParser parser) throws IOException {
    ModelOptions.Builder options = ModelOptions.builder();
    while (parser.nextToken() == JsonToken.FIELD_NAME) {
      String name = parser.currentName();
      JsonToken value = parser.nextToken();
      if (NUMBERS.contains(name) && value.isNumeric()) {
        options.put(name, parser.getNumberValue());
      } else if ("stop".equals(name) && value == JsonToken.START_ARRAY) {
        // null (too many, too long, not all strings) removes an earlier one
        options.put("stop", stop(parser));
      } else {
        parser.skipChildren();
      }
    }
    ModelOptions built = options.build();
    return built.asMap().isEmpty() ? null : built;
  }

  /** The array the parser is at, if it is a short list of short strings; read to its end. */
  private static @Nullable List<String> stop(JsonParser parser) throws IOException {
    List<String> stop = new ArrayList<>();
    boolean usable = true;
    for (JsonToken t = parser.nextToken(); t != JsonToken.END_ARRAY; t = parser.nextToken()) {
      if (t == null) {
        throw new IOException("unexpected end of input");
      }
      if (usable && t == JsonToken.VALUE_STRING && stop.size() < MAX_STOP_SEQUENCES
          && parser.getTextLength() <= MAX_STOP_LENGTH) {
        stop.add(parser.getText());
      } else {
        usable = false;
        parser.skipChildren();
      }
    }
    return usable && !stop.isEmpty() ? stop : null;
  }
}
