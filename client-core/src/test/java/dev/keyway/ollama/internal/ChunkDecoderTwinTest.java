package dev.keyway.ollama.internal;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import dev.keyway.ollama.model.ChatResponse;
import dev.keyway.ollama.model.Fixtures;
import dev.keyway.ollama.model.GenerateResponse;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.reflect.Array;
import java.lang.reflect.Constructor;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.RecordComponent;
import java.lang.reflect.Type;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The twin of the hand-written stream decoders: {@link ChatChunkDecoder}, {@link
 * GenerateChunkDecoder} and the {@link ChunkHeader} they share must give, for every line, the
 * record {@code Json.MAPPER.readValue} gives, compared component by component (nested records
 * recursively, lists and arrays by content), and the same in-band error text. The lines are every
 * line of every recorded wire fixture (through both decoders, whatever endpoint it came from), the
 * committed fuzzer inputs, and one line generated from the records themselves with every component
 * set: so a wire field added to a record and read by databind but not by a decoder fails here even
 * before a fixture carries it.
 */
class ChunkDecoderTwinTest {
  private static final String FUZZ_INPUTS =
      "/dev/keyway/ollama/internal/NdjsonStreamFuzzTestInputs/anyBodyGivesChunksOrATypedError";

  /** The recorded answers (requests are not answers: their "logprobs" is a boolean). */
  static List<String> fixtureFiles() {
    return Fixtures.names("").stream()
        .filter(n -> (n.endsWith(".ndjson") || n.endsWith(".json")) && !n.contains("-request"))
        .collect(Collectors.toList());
  }

  static List<String> fuzzInputs() {
    return list(FUZZ_INPUTS);
  }

  @Test
  void thereAreFixturesAndFuzzInputsToCompare() {
    assertThat(fixtureFiles()).hasSizeGreaterThan(50)
        .contains("chat-stream-basic.ndjson", "generate-stream.ndjson", "chat-stream-logprobs.ndjson");
    assertThat(fuzzInputs()).contains("chat-stream-basic", "generate-stream");
  }

  @ParameterizedTest
  @MethodSource("fixtureFiles")
  void everyFixtureLineDecodesAlikeOnBothPaths(String name) {
    String text = Fixtures.read(name);
    List<String> bodies = name.endsWith(".ndjson")
        ? text.lines().filter(l -> !l.isBlank()).collect(Collectors.toList())
        : List.of(text);
    int compared = 0;
    for (String body : bodies) {
      byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
      if (!isObject(bytes)) {
        continue; // an array or a scalar body (none is a chat or generate chunk)
      }
      // A recorded chat or generate answer is valid: both paths must accept it. Any other
      // answer (tags, pull progress, an error body) both must accept, or both refuse.
      Accept accept = name.startsWith("chat-") || name.startsWith("generate-") ? Accept.MUST : Accept.AGREE;
      compared += twin(name, bytes, ChatResponse.class, ChatChunkDecoder::new, accept);
      compared += twin(name, bytes, GenerateResponse.class, GenerateChunkDecoder::new, accept);
    }
    if (name.startsWith("chat-") || name.startsWith("generate-")) {
      assertThat(compared).as("%s holds chunks", name).isPositive();
    }
  }

  @ParameterizedTest
  @MethodSource("fuzzInputs")
  void everyFuzzInputLineDecodesAlikeOnBothPaths(String name) throws IOException {
    byte[] input = Files.readAllBytes(path(FUZZ_INPUTS + "/" + name));
    assertThat(input).isNotEmpty();
    boolean chat = (input[0] & 1) == 0; // as NdjsonStreamFuzzTest picks the endpoint
    byte[] body = Arrays.copyOfRange(input, 1, input.length);
    int start = 0;
    int compared = 0;
    for (int i = 0; i <= body.length; i++) {
      if (i == body.length || body[i] == '\n') {
        byte[] line = Arrays.copyOfRange(body, start, i);
        start = i + 1;
        if (!isObject(line)) {
          continue;
        }
        compared += chat
            ? twin(name, line, ChatResponse.class, ChatChunkDecoder::new, Accept.AGREE)
            : twin(name, line, GenerateResponse.class, GenerateChunkDecoder::new, Accept.AGREE);
      }
    }
    assertThat(compared).as("%s holds chunks both paths accept", name).isPositive();
  }

  @Test
  void aChatLineWithEveryComponentSetDecodesAlike() throws IOException {
    assertEveryComponentSurvivesBothPaths(ChatResponse.class, ChatChunkDecoder::new);
  }

  @Test
  void aGenerateLineWithEveryComponentSetDecodesAlike() throws IOException {
    assertEveryComponentSurvivesBothPaths(GenerateResponse.class, GenerateChunkDecoder::new);
  }

  @Test
  void theComparisonSeesADifferenceDeepInside() {
    ChatResponse a = filled(ChatResponse.class);
    ChatResponse b = filled(ChatResponse.class);
    assertThat(differences("r", a, b)).isEmpty();
    // The same record with its nested logprobs changed: the comparison must name where.
    ChatResponse c = read(write(a).replace("\"logprob\":-", "\"logprob\":-1"), ChatResponse.class);
    assertThat(differences("r", a, c)).isNotEmpty().allMatch(d -> d.startsWith("r.logprobs[0]."));
  }

  // --- the two paths ----------------------------------------------------------------------------

  enum Accept {
    /** Both paths must accept the line. */
    MUST,
    /** Both accept it, or both refuse it. */
    AGREE
  }

  /** Decodes {@code line} both ways and compares; returns 1 if both paths accepted it. */
  private static <T> int twin(String name, byte[] line, Class<T> type, Supplier<ChunkDecoder<T>> fast,
      Accept accept) {
    String where = name + " as " + type.getSimpleName() + ": " + new String(line, StandardCharsets.UTF_8);
    T viaDecoder = null;
    String decoderError = null;
    Exception decoderRefused = null;
    try (JsonParser p = Json.MAPPER.getFactory().createParser(line)) {
      assertThat(p.nextToken()).isEqualTo(JsonToken.START_OBJECT);
      ChunkDecoder<T> decoder = fast.get();
      viaDecoder = decoder.decode(p);
      assertThat(p.currentToken()).as(where).isEqualTo(JsonToken.END_OBJECT);
      decoderError = decoder.error;
    } catch (IOException | RuntimeException e) {
      decoderRefused = e;
    }
    T viaDatabind = null;
    String databindError = null;
    Exception databindRefused = null;
    try {
      viaDatabind = Json.MAPPER.readValue(line, type);
      JsonNode e = Json.MAPPER.readTree(line).get("error");
      databindError = e == null || e.isNull() ? null : e.isTextual() ? e.asText() : e.toString();
    } catch (IOException | RuntimeException e) {
      databindRefused = e;
    }
    if (decoderRefused != null && (accept == Accept.MUST || databindRefused == null)) {
      throw new AssertionError("the hand-written decoder refused " + where, decoderRefused);
    }
    if (databindRefused != null && (accept == Accept.MUST || decoderRefused == null)) {
      throw new AssertionError("Json.MAPPER refused " + where, databindRefused);
    }
    if (decoderRefused != null) {
      return 0; // both refused
    }
    assertThat(differences(type.getSimpleName(), viaDecoder, viaDatabind)).as(where).isEmpty();
    assertThat(decoderError).as("in-band error of " + where).isEqualTo(databindError);
    return 1;
  }

  private static <T> void assertEveryComponentSurvivesBothPaths(Class<T> type, Supplier<ChunkDecoder<T>> fast)
      throws IOException {
    T full = filled(type);
    String line = write(full);
    // The line carries every component: databind gives back exactly what was written...
    assertThat(differences(type.getSimpleName(), read(line, type), full)).as(line).isEmpty();
    // ...and so must the hand-written decoder.
    twin("every component", line.getBytes(StandardCharsets.UTF_8), type, fast, Accept.MUST);
  }

  // --- field-by-field comparison ----------------------------------------------------------------

  /** Where {@code a} and {@code b} differ, as "path: a != b"; records by component, recursively. */
  static List<String> differences(String path, Object a, Object b) {
    List<String> out = new ArrayList<>();
    compare(path, a, b, out);
    return out;
  }

  private static void compare(String path, Object a, Object b, List<String> out) {
    if (a == null || b == null) {
      if (a != b) {
        out.add(path + ": " + a + " != " + b);
      }
      return;
    }
    if (a.getClass().isRecord() && a.getClass() == b.getClass()) {
      for (RecordComponent c : a.getClass().getRecordComponents()) {
        compare(path + "." + c.getName(), get(c, a), get(c, b), out);
      }
    } else if (a instanceof List<?> la && b instanceof List<?> lb) {
      if (la.size() != lb.size()) {
        out.add(path + ": " + la.size() + " element(s) != " + lb.size() + ": " + la + " != " + lb);
        return;
      }
      for (int i = 0; i < la.size(); i++) {
        compare(path + "[" + i + "]", la.get(i), lb.get(i), out);
      }
    } else if (a instanceof Map<?, ?> ma && b instanceof Map<?, ?> mb) {
      // Keys in wire order: tool arguments are an ordered JSON object.
      if (!new ArrayList<>(ma.keySet()).equals(new ArrayList<>(mb.keySet()))) {
        out.add(path + ": keys " + ma.keySet() + " != " + mb.keySet());
        return;
      }
      for (Map.Entry<?, ?> e : ma.entrySet()) {
        compare(path + "." + e.getKey(), e.getValue(), mb.get(e.getKey()), out);
      }
    } else if (a.getClass().isArray() && b.getClass().isArray()) {
      int n = Array.getLength(a);
      if (n != Array.getLength(b)) {
        out.add(path + ": " + n + " element(s) != " + Array.getLength(b));
        return;
      }
      for (int i = 0; i < n; i++) {
        compare(path + "[" + i + "]", Array.get(a, i), Array.get(b, i), out);
      }
    } else if (a.getClass() != b.getClass() || !a.equals(b)) {
      out.add(path + ": " + describe(a) + " != " + describe(b));
    }
  }

  private static String describe(Object o) {
    return o.getClass().getSimpleName() + " " + o;
  }

  private static Object get(RecordComponent c, Object record) {
    try {
      return c.getAccessor().invoke(record);
    } catch (ReflectiveOperationException e) {
      throw new IllegalStateException(e);
    }
  }

  // --- a record with every component set ----------------------------------------------------------

  static <T> T filled(Class<T> type) {
    return type.cast(fill(type, type.getSimpleName(), 0, new int[] {1}));
  }

  /** A value of {@code type} unlike the default and unlike every other component's. */
  private static Object fill(Type type, String path, int depth, int[] counter) {
    int n = counter[0]++;
    if (type instanceof ParameterizedType pt) {
      Class<?> raw = (Class<?>) pt.getRawType();
      Type[] args = pt.getActualTypeArguments();
      if (raw == List.class) {
        // Lists of records nest (a logprob's top_logprobs): two levels are enough.
        return depth > 2 ? List.of() : List.of(fill(args[0], path + "[0]", depth + 1, counter));
      }
      if (raw == Map.class) {
        Map<String, Object> map = new LinkedHashMap<>();
        map.put("b-" + n, "v" + n);
        map.put("a-" + n, n);
        return map;
      }
      throw new IllegalStateException(path + ": add a filler for " + type);
    }
    Class<?> c = (Class<?>) type;
    if (c == String.class) {
      // Distinct per component, and plain base64 so that an image accepts it too.
      return Base64.getEncoder().encodeToString(path.getBytes(StandardCharsets.UTF_8));
    }
    if (c == boolean.class || c == Boolean.class) {
      return true;
    }
    if (c == int.class || c == Integer.class) {
      return 1000 + n;
    }
    if (c == long.class || c == Long.class) {
      return 100_000L + n;
    }
    if (c == double.class || c == Double.class) {
      return -0.25 - n;
    }
    if (c == Duration.class) {
      return Duration.ofNanos(1_000_000_007L * n);
    }
    if (c == Instant.class) {
      return Instant.parse("2026-08-20T14:03:11.504182Z").plusSeconds(n);
    }
    if (c.isRecord()) {
      RecordComponent[] components = c.getRecordComponents();
      Object[] values = new Object[components.length];
      Class<?>[] types = new Class<?>[components.length];
      for (int i = 0; i < components.length; i++) {
        values[i] = fill(components[i].getGenericType(), path + "." + components[i].getName(), depth, counter);
        types[i] = components[i].getType();
      }
      try {
        Constructor<?> canonical = c.getDeclaredConstructor(types);
        return canonical.newInstance(values);
      } catch (ReflectiveOperationException e) {
        throw new IllegalStateException(path, e);
      }
    }
    throw new IllegalStateException(path + ": add a filler for " + type);
  }

  // --- helpers ------------------------------------------------------------------------------------

  private static boolean isObject(byte[] body) {
    try (JsonParser p = Json.MAPPER.getFactory().createParser(body)) {
      return p.nextToken() == JsonToken.START_OBJECT;
    } catch (IOException e) {
      return false;
    }
  }

  private static String write(Object value) {
    try {
      return Json.MAPPER.writeValueAsString(value);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static <T> T read(String json, Class<T> type) {
    try {
      return Json.MAPPER.readValue(json, type);
    } catch (IOException e) {
      throw new UncheckedIOException(json, e);
    }
  }

  private static List<String> list(String resource) {
    try (Stream<Path> files = Files.list(path(resource))) {
      return files.map(p -> p.getFileName().toString()).sorted().collect(Collectors.toList());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static Path path(String resource) {
    URL url = ChunkDecoderTwinTest.class.getResource(resource);
    if (url == null) {
      throw new IllegalStateException(resource + " is not on the test classpath");
    }
    try {
      return Path.of(url.toURI());
    } catch (URISyntaxException e) {
      throw new IllegalStateException(e);
    }
  }
}
