package dev.keyway.ollama.testkit;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * The stand-in's state, shared by every connection: the models it has (scripted at build time,
 * then pulled, created, copied or deleted), the ones "loaded" for {@code /api/ps}, and the blobs
 * uploaded to {@code /api/blobs}. Thread-safe.
 */
final class ModelStore {
  static final String DEFAULT_TEMPLATE = "{{ .Prompt }}";
  static final String DEFAULT_LICENSE = "Scripted model for tests: no license terms apply.";
  private static final Duration DEFAULT_KEEP_ALIVE = Duration.ofMinutes(5);
  private static final Duration FOREVER = Duration.ofNanos(Long.MAX_VALUE); // Go's maximum
  private static final Pattern ZERO_DURATION =
      Pattern.compile("[-+]?0+(\\.0*)?(ns|us|µs|ms|s|m|h)?");
  private static final Pattern DURATION_PART =
      Pattern.compile("(\\d+\\.?\\d*|\\.\\d+)(ns|us|µs|μs|ms|s|m|h)");
  private static final Pattern DIGEST = Pattern.compile("sha256[:-][0-9a-fA-F]{64}");

  /** A model as stored: its script plus what {@code /api/show} tells about it. Immutable. */
  static final class Stored {
    final ScriptedModel model;
    final OffsetDateTime modifiedAt;
    /** The weights layer digest, 64 hex. */
    final String weights;
    final String template;
    final String system;
    final String license;
    /** {@code [name, value as Go's %#v]}, in order; an array parameter has one entry per item. */
    final List<String[]> parameters;

    Stored(ScriptedModel model, OffsetDateTime modifiedAt, String weights, String template,
        String system, String license, List<String[]> parameters) {
      this.model = model;
      this.modifiedAt = modifiedAt;
      this.weights = weights;
      this.template = template;
      this.system = system;
      this.license = license;
      this.parameters = List.copyOf(parameters);
    }

    /** A model as the builder scripted it, or as a pull brings it. */
    static Stored of(ScriptedModel model, OffsetDateTime modifiedAt) {
      return new Stored(model, modifiedAt, sha256("weights\n" + model.listedName()),
          DEFAULT_TEMPLATE, "", DEFAULT_LICENSE,
          List.<String[]>of(new String[] {"temperature", "0.7"}));
    }

    String name() {
      return model.listedName();
    }

    Stored renamed(String name, OffsetDateTime now) {
      return new Stored(model.renamed(name), now, weights, template, system, license, parameters);
    }

    String parametersText() {
      StringBuilder text = new StringBuilder();
      for (String[] parameter : parameters) {
        if (text.length() > 0) {
          text.append('\n');
        }
        text.append(String.format(Locale.ROOT, "%-30s %s", parameter[0], parameter[1]));
      }
      return text.toString();
    }

    /** The layers of its manifest, weights first: {@code [kind, 64 hex, size]}. */
    List<Layer> layers() {
      List<Layer> layers = new ArrayList<>(5);
      layers.add(new Layer("model", weights, sizeInBytes(model.parameterSizeLabel())));
      layers.add(Layer.of("template", template));
      if (!system.isEmpty()) {
        layers.add(Layer.of("system", system));
      }
      layers.add(Layer.of("license", license));
      if (!parameters.isEmpty()) {
        layers.add(Layer.of("params", parametersText()));
      }
      return layers;
    }
  }

  /** One layer of a manifest. */
  static final class Layer {
    final String kind;
    final String hex;
    final long size;

    Layer(String kind, String hex, long size) {
      this.kind = kind;
      this.hex = hex;
      this.size = size;
    }

    static Layer of(String kind, String content) {
      return new Layer(kind, sha256(kind + "\n" + content),
          content.getBytes(StandardCharsets.UTF_8).length);
    }
  }

  /** A loaded model, for {@code /api/ps}. */
  static final class Running {
    final Stored stored;
    final OffsetDateTime expiresAt;

    Running(Stored stored, OffsetDateTime expiresAt) {
      this.stored = stored;
      this.expiresAt = expiresAt;
    }
  }

  /** By listed name, in {@code /api/tags} order. */
  private final LinkedHashMap<String, Stored> models = new LinkedHashMap<>();
  /** Listed name to expiry. */
  private final Map<String, OffsetDateTime> loaded = new LinkedHashMap<>();
  /** {@code sha256-<hex>} (as given, with {@code -}) to its size in bytes. */
  private final Map<String, Long> blobs = new ConcurrentHashMap<>();

  ModelStore(List<ScriptedModel> scripted, OffsetDateTime modifiedAt) {
    for (ScriptedModel model : scripted) {
      models.put(model.listedName(), Stored.of(model, modifiedAt));
    }
  }

  synchronized @Nullable Stored find(String name) {
    return name.isEmpty() ? null : models.get(ScriptedModel.canonical(name));
  }

  synchronized List<Stored> list() {
    return new ArrayList<>(models.values());
  }

  /** Adds or replaces a model, listed first (Ollama lists the most recently modified first). */
  synchronized void add(Stored stored) {
    LinkedHashMap<String, Stored> rest = new LinkedHashMap<>(models);
    rest.remove(stored.name());
    models.clear();
    models.put(stored.name(), stored);
    models.putAll(rest);
  }

  /** Removes a model (and unloads it); false when there was none of that name. */
  synchronized boolean remove(String name) {
    String key = ScriptedModel.canonical(name);
    loaded.remove(key);
    return models.remove(key) != null;
  }

  /** A request used the model: loads it until {@code keep_alive} from now, or unloads it. */
  synchronized void use(Stored stored, @Nullable JsonNode keepAlive) {
    if (unloads(keepAlive)) {
      loaded.remove(stored.name());
    } else {
      loaded.put(stored.name(), OffsetDateTime.now().plus(keepAlive(keepAlive)));
    }
  }

  /** Loaded models, longest time left first; expired ones are dropped. */
  synchronized List<Running> running() {
    OffsetDateTime now = OffsetDateTime.now();
    List<Running> running = new ArrayList<>();
    Iterator<Map.Entry<String, OffsetDateTime>> it = loaded.entrySet().iterator();
    while (it.hasNext()) {
      Map.Entry<String, OffsetDateTime> entry = it.next();
      Stored stored = models.get(entry.getKey());
      if (stored == null || entry.getValue().isBefore(now)) {
        it.remove();
      } else {
        running.add(new Running(stored, entry.getValue()));
      }
    }
    running.sort(Comparator.comparing((Running r) -> r.expiresAt).reversed());
    return running;
  }

  // --- blobs ---------------------------------------------------------------------------------

  /**
   * The storage key for a digest ({@code sha256:<hex>} and {@code sha256-<hex>} are one blob), or
   * null if it is malformed.
   */
  static @Nullable String blobKey(String digest) {
    return DIGEST.matcher(digest).matches() ? "sha256-" + digest.substring(7) : null;
  }

  boolean hasBlob(String digest) {
    String key = blobKey(digest);
    return key != null && blobs.containsKey(key);
  }

  /** The size of a stored blob, -1 if there is none. */
  long blobSize(String digest) {
    String key = blobKey(digest);
    Long size = key == null ? null : blobs.get(key);
    return size == null ? -1 : size;
  }

  void putBlob(String digest, long size) {
    String key = blobKey(digest);
    if (key == null) {
      throw new IllegalArgumentException("invalid digest format");
    }
    blobs.put(key, size);
  }

  // --- helpers -------------------------------------------------------------------------------

  /** Whether {@code keep_alive} asks to unload: 0, {@code "0"}, {@code "0s"} and the like. */
  static boolean unloads(@Nullable JsonNode keepAlive) {
    if (keepAlive == null || keepAlive.isNull()) {
      return false;
    }
    if (keepAlive.isNumber()) {
      return keepAlive.doubleValue() == 0;
    }
    return keepAlive.isTextual() && ZERO_DURATION.matcher(keepAlive.asText().strip()).matches();
  }

  /**
   * How long a request keeps its model loaded: seconds when a number, a Go duration ({@code
   * "5m"}, {@code "1h30m"}) when a string, 5 minutes when absent or unreadable, for ever when
   * negative.
   */
  static Duration keepAlive(@Nullable JsonNode keepAlive) {
    Duration duration = DEFAULT_KEEP_ALIVE;
    if (keepAlive != null && keepAlive.isNumber()) {
      duration = Duration.ofNanos((long) (keepAlive.doubleValue() * 1e9));
    } else if (keepAlive != null && keepAlive.isTextual()) {
      Duration parsed = goDuration(keepAlive.asText().strip());
      duration = parsed == null ? DEFAULT_KEEP_ALIVE : parsed;
    }
    return duration.isNegative() ? FOREVER : duration;
  }

  /** Go's {@code time.ParseDuration}, near enough; null when malformed. */
  static @Nullable Duration goDuration(String text) {
    boolean negative = text.startsWith("-");
    String rest = text.startsWith("-") || text.startsWith("+") ? text.substring(1) : text;
    if (rest.equals("0")) {
      return Duration.ZERO;
    }
    if (rest.isEmpty()) {
      return null;
    }
    Matcher part = DURATION_PART.matcher(rest);
    double nanos = 0;
    int at = 0;
    while (at < rest.length()) {
      if (!part.find(at) || part.start() != at) {
        return null;
      }
      double number = Double.parseDouble(part.group(1));
      switch (part.group(2)) {
        case "h": nanos += number * 3600e9; break;
        case "m": nanos += number * 60e9; break;
        case "s": nanos += number * 1e9; break;
        case "ms": nanos += number * 1e6; break;
        case "ns": nanos += number; break;
        default: nanos += number * 1e3; break; // us, µs, μs
      }
      at = part.end();
    }
    long whole = (long) Math.min(nanos, Long.MAX_VALUE);
    return Duration.ofNanos(negative ? -whole : whole);
  }

  /** Parameters from a parameter size label such as {@code 8.2B}; a fixed guess if unreadable. */
  static long parameterCount(String parameterSize) {
    try {
      String label = parameterSize.strip().toUpperCase(Locale.ROOT);
      char unit = label.charAt(label.length() - 1);
      double number = Double.parseDouble(label.substring(0, label.length() - 1));
      return Math.round(number * (unit == 'T' ? 1e12 : unit == 'B' ? 1e9 : unit == 'M' ? 1e6 : 1e3));
    } catch (RuntimeException e) {
      return 3_365_655_552L;
    }
  }

  /** Bytes on disk: about 4.8 bits per parameter, like Q4_K_M. */
  static long sizeInBytes(String parameterSize) {
    return (long) (parameterCount(parameterSize) * 0.6);
  }

  static String sha256(String text) {
    return hex(newSha256().digest(text.getBytes(StandardCharsets.UTF_8)));
  }

  static MessageDigest newSha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  static String hex(byte[] bytes) {
    StringBuilder hex = new StringBuilder(bytes.length * 2);
    for (byte b : bytes) {
      hex.append(Character.forDigit((b >> 4) & 0xF, 16)).append(Character.forDigit(b & 0xF, 16));
    }
    return hex.toString();
  }
}
