package dev.keyway.ollama.testkit;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.time.OffsetDateTime;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** {@code /api/tags}, {@code /api/ps}, {@code /api/show}, {@code /api/copy}, {@code /api/delete}. */
final class ModelRoutes {
  private static final byte[] EMPTY = new byte[0];

  private final ModelStore store;

  ModelRoutes(ModelStore store) {
    this.store = store;
  }

  void tags(Exchange ex) throws IOException {
    ObjectNode root = Json.object();
    ArrayNode list = root.putArray("models");
    for (ModelStore.Stored stored : store.list()) {
      ScriptedModel model = stored.model;
      ObjectNode entry = list.addObject();
      entry.put("name", stored.name());
      entry.put("model", stored.name());
      entry.put("modified_at", Json.timestamp(stored.modifiedAt));
      entry.put("size", ModelStore.sizeInBytes(model.parameterSizeLabel()));
      entry.put("digest", ModelStore.sha256(stored.name()));
      entry.set("details", details(model));
      List<String> capabilities = model.listedCapabilities();
      if (!capabilities.isEmpty()) {
        ArrayNode array = entry.putArray("capabilities");
        capabilities.forEach(array::add);
      }
    }
    ex.json(200, Json.bytes(root));
  }

  /** Loaded models, as in ps.json; {@code []} when none. */
  void ps(Exchange ex) throws IOException {
    ObjectNode root = Json.object();
    ArrayNode list = root.putArray("models");
    for (ModelStore.Running running : store.running()) {
      ScriptedModel model = running.stored.model;
      long size = ModelStore.sizeInBytes(model.parameterSizeLabel());
      ObjectNode entry = list.addObject();
      entry.put("name", running.stored.name());
      entry.put("model", running.stored.name());
      entry.put("size", size);
      entry.put("digest", ModelStore.sha256(running.stored.name()));
      entry.set("details", details(model));
      entry.put("expires_at", Json.timestamp(running.expiresAt));
      entry.put("size_vram", size); // all on the GPU
      entry.put("context_length", model.contextSize());
    }
    ex.json(200, Json.bytes(root));
  }

  /** Fields and order as show.json; {@code name} works in place of {@code model}. */
  void show(Exchange ex) throws IOException {
    ObjectNode json = JsonBody.read(ex, "ShowRequest", "model", "string", "name", "string",
        "system", "string", "verbose", "bool");
    if (json == null) {
      return;
    }
    String name = JsonBody.modelName(json);
    if (name.isEmpty()) {
      ex.error(400, "model is required");
      return;
    }
    ModelStore.Stored stored = store.find(name);
    if (stored == null) {
      ex.error(404, "model '" + name + "' not found");
      return;
    }
    ScriptedModel model = stored.model;
    String asked = JsonBody.text(json, "system");
    String system = asked.isEmpty() ? stored.system : asked;
    ObjectNode reply = Json.object();
    putIfNotEmpty(reply, "license", stored.license);
    reply.put("modelfile", modelfile(stored, system));
    putIfNotEmpty(reply, "parameters", stored.parametersText());
    putIfNotEmpty(reply, "template", stored.template);
    putIfNotEmpty(reply, "system", system);
    reply.set("details", details(model));
    ObjectNode info = reply.putObject("model_info");
    for (Map.Entry<String, Object> entry : modelInfo(model).entrySet()) {
      info.set(entry.getKey(), Json.MAPPER.valueToTree(entry.getValue()));
    }
    List<String> capabilities = model.listedCapabilities();
    if (!capabilities.isEmpty()) {
      ArrayNode array = reply.putArray("capabilities");
      capabilities.forEach(array::add);
    }
    reply.put("modified_at", Json.timestamp(stored.modifiedAt));
    ex.json(200, Json.bytes(reply));
  }

  /** 200 with an empty body; the copy is a new model with the source's script. */
  void copy(Exchange ex) throws IOException {
    ObjectNode json = JsonBody.read(ex, "CopyRequest", "source", "string", "destination", "string");
    if (json == null) {
      return;
    }
    String source = JsonBody.text(json, "source");
    String destination = JsonBody.text(json, "destination");
    if (source.isBlank()) {
      ex.error(400, "source \"" + source + "\" is invalid");
      return;
    }
    if (destination.isBlank()) {
      ex.error(400, "destination \"" + destination + "\" is invalid");
      return;
    }
    ModelStore.Stored stored = store.find(source);
    if (stored == null) {
      ex.error(404, "model \"" + source + "\" not found");
      return;
    }
    store.add(stored.renamed(destination, OffsetDateTime.now()));
    ex.respond(200, null, EMPTY, List.of());
  }

  /** 200 with an empty body; the model is unloaded too. */
  void delete(Exchange ex) throws IOException {
    ObjectNode json = JsonBody.read(ex, "DeleteRequest", "model", "string", "name", "string");
    if (json == null) {
      return;
    }
    String name = JsonBody.modelName(json);
    if (name.isBlank()) {
      ex.error(400, "name \"" + name + "\" is invalid");
      return;
    }
    if (!store.remove(name)) {
      ex.error(404, "model '" + name + "' not found");
      return;
    }
    ex.respond(200, null, EMPTY, List.of());
  }

  /** {@code ModelDetails}, as in tags.json, ps.json and show.json. */
  static ObjectNode details(ScriptedModel model) {
    ObjectNode details = Json.object();
    details.put("parent_model", "");
    details.put("format", "gguf");
    details.put("family", model.familyName());
    details.putArray("families").add(model.familyName());
    details.put("parameter_size", model.parameterSizeLabel());
    details.put("quantization_level", model.quantization());
    return details;
  }

  /** GGUF-like key/values, sorted by key as Go writes a map. */
  private static Map<String, Object> modelInfo(ScriptedModel model) {
    String arch = model.familyName();
    Map<String, Object> info = new TreeMap<>();
    info.put(arch + ".block_count", 28);
    info.put(arch + ".context_length", model.contextSize());
    info.put(arch + ".embedding_length", model.embeddingSize());
    info.put("general.architecture", arch);
    info.put("general.parameter_count", ModelStore.parameterCount(model.parameterSizeLabel()));
    info.put("general.quantization_version", 2);
    return info;
  }

  /** What {@code ollama show --modelfile} prints. */
  private static String modelfile(ModelStore.Stored stored, String system) {
    StringBuilder text = new StringBuilder();
    text.append("# Modelfile generated by \"ollama show\"\n");
    text.append("# To build a new Modelfile based on this, replace FROM with:\n");
    text.append("# FROM ").append(stored.name()).append("\n\n");
    text.append("FROM /root/.ollama/models/blobs/sha256-").append(stored.weights).append('\n');
    text.append("TEMPLATE ").append(stored.template).append('\n');
    if (!system.isEmpty()) {
      text.append("SYSTEM ").append(system).append('\n');
    }
    for (String[] parameter : stored.parameters) {
      text.append("PARAMETER ").append(parameter[0]).append(' ').append(parameter[1]).append('\n');
    }
    if (!stored.license.isEmpty()) {
      text.append("LICENSE \"\"\"").append(stored.license).append("\"\"\"\n");
    }
    return text.toString();
  }

  private static void putIfNotEmpty(ObjectNode node, String field, String value) {
    if (!value.isEmpty()) {
      node.put(field, value);
    }
  }
}
