package dev.keyway.ollama.tools;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import okhttp3.mockwebserver.MockResponse;

/** The recorded wire examples under {@code /ollama-wire} on the test classpath. */
final class Wire {
  static final ObjectMapper JSON = new ObjectMapper();

  private Wire() {}

  static String read(String name) {
    try (InputStream in = Wire.class.getResourceAsStream("/ollama-wire/" + name)) {
      if (in == null) {
        throw new IllegalArgumentException("no fixture " + name);
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static JsonNode tree(String name) {
    return parse(read(name));
  }

  static JsonNode parse(String json) {
    try {
      return JSON.readTree(json);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static JsonNode toTree(Object value) {
    return JSON.valueToTree(value);
  }

  static MockResponse json(String fixture) {
    return new MockResponse().setHeader("Content-Type", "application/json; charset=utf-8")
        .setBody(read(fixture));
  }

  static MockResponse ndjson(String fixture) {
    return new MockResponse().setHeader("Content-Type", "application/x-ndjson")
        .setChunkedBody(read(fixture), 64);
  }
}
