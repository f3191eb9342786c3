package dev.keyway.ollama.model;

import com.fasterxml.jackson.databind.JsonNode;
import dev.keyway.ollama.internal.Json;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/** Reads the recorded wire examples under {@code /ollama-wire} on the test classpath. */
public final class Fixtures {
  private Fixtures() {}

  public static String read(String name) {
    try (InputStream in = Fixtures.class.getResourceAsStream("/ollama-wire/" + name)) {
      if (in == null) {
        throw new IllegalArgumentException("no fixture " + name);
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public static JsonNode tree(String name) {
    try {
      return Json.MAPPER.readTree(read(name));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public static <T> T decode(String name, Class<T> type) {
    try {
      return Json.MAPPER.readValue(read(name), type);
    } catch (IOException e) {
      throw new UncheckedIOException(name, e);
    }
  }

  /** The lines of an NDJSON fixture; every line of Ollama's framing ends with a newline. */
  public static List<String> lines(String name) {
    String text = read(name);
    if (!text.endsWith("\n")) {
      throw new IllegalStateException(name + " does not end with a newline");
    }
    return text.lines().collect(Collectors.toList());
  }

  /** Fixture file names, sorted, that start with one of the prefixes. */
  public static List<String> names(String... prefixes) {
    URL dir = Fixtures.class.getResource("/ollama-wire");
    if (dir == null) {
      throw new IllegalStateException("/ollama-wire is not on the test classpath");
    }
    try (Stream<Path> files = Files.list(Path.of(dir.toURI()))) {
      return files.map(p -> p.getFileName().toString())
          .filter(n -> Stream.of(prefixes).anyMatch(n::startsWith))
          .sorted()
          .collect(Collectors.toList());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (URISyntaxException e) {
      throw new IllegalStateException(e);
    }
  }
}
