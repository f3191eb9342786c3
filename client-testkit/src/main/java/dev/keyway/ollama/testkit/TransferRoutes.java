package dev.keyway.ollama.testkit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.math.BigDecimal;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.jspecify.annotations.Nullable;

/**
 * {@code /api/pull}, {@code /api/push} and {@code /api/create}: progress lines as NDJSON ending in
 * {@code {"status":"success"}}, or with {@code "stream":false} only the last status (or the error,
 * 500 unless it says otherwise), as {@code application/json}. See ollama-api.md 4.3 to 4.5.
 */
final class TransferRoutes {
  /** A model whose name starts with this is missing from the registry: pulling it fails. */
  static final String MISSING = "does-not-exist";
  private static final String WAIT_FOR_STREAM = "application/json";

  private final ModelStore store;

  TransferRoutes(ModelStore store) {
    this.store = store;
  }

  /** Pulls a model, then served like a scripted one with the defaults of {@link ScriptedModel#named}. */
  void pull(Exchange ex) throws IOException {
    ObjectNode json = JsonBody.read(ex, "PullRequest", "model", "string", "name", "string",
        "stream", "bool", "insecure", "bool");
    if (json == null) {
      return;
    }
    String name = JsonBody.modelName(json);
    if (name.isBlank()) {
      ex.error(400, "invalid model name");
      return;
    }
    Progress progress = new Progress();
    pull(name, progress);
    progress.send(ex, JsonBody.stream(json));
  }

  void push(Exchange ex) throws IOException {
    ObjectNode json = JsonBody.read(ex, "PushRequest", "model", "string", "name", "string",
        "stream", "bool", "insecure", "bool");
    if (json == null) {
      return;
    }
    String name = JsonBody.modelName(json);
    if (name.isEmpty()) {
      ex.error(400, "model is required");
      return;
    }
    Progress progress = new Progress().status("retrieving manifest");
    ModelStore.Stored stored = store.find(name);
    if (stored == null) {
      progress.status("couldn't retrieve manifest");
      progress.fail(500, "open " + manifestPath(name) + ": no such file or directory");
    } else {
      for (ModelStore.Layer layer : stored.layers()) {
        String status = "pushing " + layer.hex.substring(0, 12);
        if (layer.kind.equals("model")) {
          progress.layer(status, layer, 0);
          progress.layer(status, layer, layer.size / 2);
        }
        progress.layer(status, layer, layer.size);
      }
      progress.status("pushing manifest").status("success");
    }
    progress.send(ex, JsonBody.stream(json));
  }

  /**
   * Creates a model {@code from} another (pulled first if the stand-in lacks it, as Ollama does)
   * or from uploaded GGUF {@code files}; {@code template}, {@code system}, {@code license} and
   * {@code parameters} go into what {@code /api/show} reports.
   */
  void create(Exchange ex) throws IOException {
    ObjectNode json = JsonBody.read(ex, "CreateRequest", "model", "string", "name", "string",
        "from", "string", "files", "map[string]string", "template", "string", "system", "string",
        "parameters", "map[string]interface {}", "stream", "bool");
    if (json == null) {
      return;
    }
    JsonNode files = json.get("files");
    String fileError = fileError(files);
    if (!fileError.isEmpty()) {
      ex.error(400, fileError);
      return;
    }
    String name = JsonBody.modelName(json);
    if (name.isBlank()) {
      ex.error(400, "invalid model name");
      return;
    }
    Progress progress = new Progress();
    List<ModelStore.Layer> baseLayers = new ArrayList<>();
    ModelStore.Stored base = base(name, JsonBody.text(json, "from"), files, progress, baseLayers);
    if (base != null) {
      String template = JsonBody.text(json, "template");
      String system = JsonBody.text(json, "system");
      String license = license(json.get("license"));
      ModelStore.Stored created = new ModelStore.Stored(base.model.renamed(name),
          OffsetDateTime.now(), base.weights, template.isEmpty() ? base.template : template,
          system.isEmpty() ? base.system : system, license.isEmpty() ? base.license : license,
          parameters(base.parameters, json.get("parameters")));
      List<String> using = new ArrayList<>();
      List<String> creating = new ArrayList<>();
      for (ModelStore.Layer layer : baseLayers) {
        if (layer.kind.equals("model")) {
          using.add(layer.hex);
        }
      }
      for (ModelStore.Layer layer : created.layers()) {
        if (!layer.kind.equals("model")) {
          boolean kept = baseLayers.stream().anyMatch(old -> old.hex.equals(layer.hex));
          (kept ? using : creating).add(layer.hex);
        }
      }
      using.forEach(hex -> progress.status("using existing layer sha256:" + hex));
      creating.forEach(hex -> progress.status("creating new layer sha256:" + hex));
      progress.status("writing manifest").status("success");
      store.add(created);
    }
    progress.send(ex, JsonBody.stream(json));
  }

  /**
   * What a created model builds on: the {@code from} model (pulled first when missing) or the
   * uploaded {@code files}, whose layers are added to {@code layers}; null after a failure.
   */
  private ModelStore.@Nullable Stored base(String name, String from, @Nullable JsonNode files,
      Progress progress, List<ModelStore.Layer> layers) {
    if (!from.isEmpty()) {
      ModelStore.Stored base = store.find(from);
      if (base == null) {
        base = pull(from, progress);
      }
      if (base != null) {
        layers.addAll(base.layers());
      }
      return base;
    }
    if (files == null || !files.isObject()) {
      progress.fail(400, "neither 'from' or 'files' was specified");
      return null;
    }
    if (files.isEmpty()) {
      progress.fail(400, "unknown type");
      return null;
    }
    for (JsonNode file : sorted(files).values()) {
      String digest = file.asText();
      progress.status("parsing GGUF");
      layers.add(new ModelStore.Layer("model", digest.substring(7), store.blobSize(digest)));
    }
    return new ModelStore.Stored(ScriptedModel.named(name), OffsetDateTime.now(), layers.get(0).hex,
        ModelStore.DEFAULT_TEMPLATE, "", "", List.of());
  }

  /** A pull's lines; adds the model on success. Null after the error line of a missing model. */
  private ModelStore.@Nullable Stored pull(String name, Progress progress) {
    progress.status("pulling manifest");
    String model = name.substring(name.lastIndexOf('/') + 1);
    if (model.startsWith(MISSING)) {
      progress.fail(500, "pull model manifest: file does not exist");
      return null;
    }
    ModelStore.Stored existing = store.find(name);
    ModelStore.Stored stored = existing != null
        ? existing
        : ModelStore.Stored.of(ScriptedModel.named(name), OffsetDateTime.now());
    for (ModelStore.Layer layer : stored.layers()) {
      String status = "pulling " + layer.hex.substring(0, 12);
      if (existing == null && layer.kind.equals("model")) {
        progress.layer(status, layer, 0);
        progress.layer(status, layer, layer.size / 8);
        progress.layer(status, layer, layer.size / 2);
      }
      progress.layer(status, layer, layer.size); // a layer already on disk: one line, complete
    }
    progress.status("verifying sha256 digest").status("writing manifest").status("success");
    if (existing == null) {
      store.add(stored);
    }
    return stored;
  }

  /** Ollama's checks on {@code files}, before anything streams; {@code ""} when they pass. */
  private String fileError(@Nullable JsonNode files) {
    if (files == null || !files.isObject()) {
      return "";
    }
    for (Map.Entry<String, JsonNode> file : sorted(files).entrySet()) {
      String path = file.getKey();
      String digest = file.getValue().asText("");
      if (!relative(path)) {
        return "file path must be relative: " + path;
      }
      if (digest.isEmpty()) {
        return "invalid digest format";
      }
      if (ModelStore.blobKey(digest) == null) {
        return "invalid digest for " + path + ": invalid digest format";
      }
      if (!store.hasBlob(digest)) {
        return "blob not found for " + path + " (digest " + digest + "): file does not exist";
      }
    }
    return "";
  }

  /** The object's fields by name, as Ollama goes through {@code files}. */
  private static Map<String, JsonNode> sorted(JsonNode object) {
    Map<String, JsonNode> map = new TreeMap<>();
    object.fields().forEachRemaining(f -> map.put(f.getKey(), f.getValue()));
    return map;
  }

  /** Go's {@code fs.ValidPath}, and no {@code \} or {@code :}. */
  private static boolean relative(String path) {
    if (path.isEmpty() || path.equals(".") || path.contains("\\") || path.contains(":")) {
      return false;
    }
    for (String element : path.split("/", -1)) {
      if (element.isEmpty() || element.equals(".") || element.equals("..")) {
        return false;
      }
    }
    return true;
  }

  private static String license(@Nullable JsonNode license) {
    if (license == null || license.isNull()) {
      return "";
    }
    if (license.isArray()) {
      List<String> lines = new ArrayList<>();
      license.forEach(line -> lines.add(line.asText()));
      return String.join("\n", lines);
    }
    return license.asText("");
  }

  /** The base parameters with the request's merged in, formatted as Go's {@code %#v}. */
  private static List<String[]> parameters(List<String[]> base, @Nullable JsonNode requested) {
    if (requested == null || !requested.isObject() || requested.isEmpty()) {
      return base;
    }
    Map<String, List<String>> merged = new LinkedHashMap<>();
    for (String[] parameter : base) {
      merged.computeIfAbsent(parameter[0], k -> new ArrayList<>()).add(parameter[1]);
    }
    requested.fields().forEachRemaining(field -> {
      List<String> values = new ArrayList<>();
      if (field.getValue().isArray()) {
        field.getValue().forEach(item -> values.add(goValue(item)));
      } else {
        values.add(goValue(field.getValue()));
      }
      merged.put(field.getKey(), values);
    });
    List<String[]> out = new ArrayList<>();
    merged.forEach((key, values) -> values.forEach(value -> out.add(new String[] {key, value})));
    return out;
  }

  private static String goValue(JsonNode value) {
    if (value.isTextual()) {
      String text = value.asText().replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n");
      return "\"" + text + "\"";
    }
    if (value.isNumber()) {
      return new BigDecimal(value.asText()).stripTrailingZeros().toPlainString();
    }
    return value.toString();
  }

  /** Where Ollama would have looked for the manifest of {@code name}. */
  private static String manifestPath(String name) {
    String canonical = ScriptedModel.canonical(name.strip());
    int colon = canonical.lastIndexOf(':');
    String[] parts = canonical.substring(0, colon).split("/");
    String host = parts.length > 2 ? parts[0] : "registry.ollama.ai";
    String namespace = parts.length > 1 ? parts[parts.length - 2] : "library";
    return "/root/.ollama/models/manifests/" + host + "/" + namespace + "/"
        + parts[parts.length - 1] + "/" + canonical.substring(colon + 1);
  }

  /** Progress lines, then one error or none. */
  private static final class Progress {
    private final List<ObjectNode> lines = new ArrayList<>();
    private @Nullable String error;
    private int errorStatus;

    Progress status(String status) {
      lines.add(Json.object().put("status", status));
      return this;
    }

    /** {@code digest}, {@code total} and {@code completed} are omitted when zero, as Go does. */
    void layer(String status, ModelStore.Layer layer, long completed) {
      ObjectNode line = Json.object().put("status", status).put("digest", "sha256:" + layer.hex);
      if (layer.size > 0) {
        line.put("total", layer.size);
      }
      if (completed > 0) {
        line.put("completed", completed);
      }
      lines.add(line);
    }

    void fail(int status, String message) {
      error = message;
      errorStatus = status;
    }

    /**
     * Streamed: the lines, then the error line if any (an error before any line gets its status
     * and a plain JSON body instead). Not streamed: the last line, or the error with its status.
     */
    void send(Exchange ex, boolean stream) throws IOException {
      String failure = error;
      if (failure != null && (!stream || lines.isEmpty())) {
        ex.respond(errorStatus, WAIT_FOR_STREAM, Json.error(failure), List.of());
        return;
      }
      if (!stream) {
        ex.respond(200, WAIT_FOR_STREAM, Json.bytes(lines.get(lines.size() - 1)), List.of());
        return;
      }
      for (ObjectNode line : lines) {
        ex.chunk(Json.line(line));
      }
      if (failure != null) {
        ex.chunk(Json.line(Json.object().put("error", failure)));
      }
      ex.endStream();
    }
  }
}
