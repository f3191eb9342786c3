package dev.keyway.ollama.testkit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.math.BigDecimal;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * {@code /api/embed} and the legacy {@code /api/embeddings}. A vector is derived from the SHA-256
 * of its (possibly truncated) input text, so it is deterministic, and L2-normalised on {@code
 * /api/embed}; the legacy endpoint answers the same vector times 3, not normalised.
 */
final class EmbedRoutes {
  static final String TOO_LONG = "the input length exceeds the context length";
  private static final float LEGACY_SCALE = 3f;

  private final ModelStore store;

  EmbedRoutes(ModelStore store) {
    this.store = store;
  }

  void embed(Exchange ex) throws IOException {
    ObjectNode json = JsonBody.read(ex, "EmbedRequest", "model", "string", "truncate", "bool",
        "dimensions", "int");
    if (json == null) {
      return;
    }
    List<String> inputs = new ArrayList<>();
    JsonNode input = json.get("input");
    if (input != null && input.isTextual()) {
      if (!input.asText().isEmpty()) {
        inputs.add(input.asText());
      }
    } else if (input != null && input.isArray()) {
      for (JsonNode item : input) {
        if (!item.isTextual()) {
          ex.error(400, "invalid input type");
          return;
        }
        inputs.add(item.asText());
      }
    } else if (input != null && !input.isNull()) {
      ex.error(400, "invalid input type");
      return;
    }
    String name = JsonBody.text(json, "model");
    ModelStore.Stored stored = find(ex, json, name);
    if (stored == null) {
      return;
    }
    ScriptedModel model = stored.model;
    ObjectNode reply = Json.object();
    reply.put("model", name);
    ArrayNode embeddings = reply.putArray("embeddings");
    if (inputs.isEmpty()) {
      ex.json(200, Json.bytes(reply)); // loads the model, no metrics
      return;
    }
    boolean truncate = !json.path("truncate").isBoolean() || json.get("truncate").booleanValue();
    int dimensions = json.path("dimensions").asInt(0);
    int promptCount = 0;
    for (String text : inputs) {
      String cut = cut(text, model.contextSize());
      if (!truncate && cut.length() < text.length()) {
        ex.error(400, TOO_LONG);
        return;
      }
      float[] vector = vector(cut, model.embeddingSize());
      if (dimensions > 0 && dimensions < vector.length) {
        float[] shorter = new float[dimensions];
        System.arraycopy(vector, 0, shorter, 0, dimensions);
        vector = normalise(shorter);
      }
      ArrayNode array = embeddings.addArray();
      for (float value : vector) {
        array.add(new BigDecimal(Float.toString(value)));
      }
      promptCount += ScriptedModel.split(cut).size() + 2; // with BOS and EOS
    }
    long elapsed = Math.max(1, System.nanoTime() - ex.request.receivedNanos);
    reply.put("total_duration", OllamaRoutes.LOAD_NANOS + elapsed);
    reply.put("load_duration", OllamaRoutes.LOAD_NANOS);
    reply.put("prompt_eval_count", promptCount);
    ex.json(200, Json.bytes(reply));
  }

  /** {@code {"embedding":[…]}}, float64 on the wire; an empty prompt only loads the model. */
  void embeddings(Exchange ex) throws IOException {
    ObjectNode json = JsonBody.read(ex, "EmbeddingRequest", "model", "string", "prompt", "string");
    if (json == null) {
      return;
    }
    ModelStore.Stored stored = find(ex, json, JsonBody.text(json, "model"));
    if (stored == null) {
      return;
    }
    ObjectNode reply = Json.object();
    ArrayNode embedding = reply.putArray("embedding");
    String prompt = JsonBody.text(json, "prompt");
    if (!prompt.isEmpty()) {
      if (cut(prompt, stored.model.contextSize()).length() < prompt.length()) {
        ex.error(500, TOO_LONG); // the runner refuses, and this endpoint cannot truncate
        return;
      }
      for (float value : vector(prompt, stored.model.embeddingSize())) {
        embedding.add(new BigDecimal(Double.toString(value * LEGACY_SCALE)));
      }
    }
    ex.json(200, Json.bytes(reply));
  }

  /** The model, loaded (or unloaded) as {@code keep_alive} says; null after answering 400/404. */
  private ModelStore.@Nullable Stored find(Exchange ex, JsonNode json, String name)
      throws IOException {
    if (name.isEmpty()) {
      ex.error(400, "model is required");
      return null;
    }
    ModelStore.Stored stored = store.find(name);
    if (stored == null) {
      ex.error(404, "model \"" + name + "\" not found, try pulling it first");
      return null;
    }
    store.use(stored, json.get("keep_alive"));
    return stored;
  }

  /** The first {@code limit} code points of {@code text} (one token per character). */
  private static String cut(String text, int limit) {
    if (text.codePointCount(0, text.length()) <= limit) {
      return text;
    }
    return text.substring(0, text.offsetByCodePoints(0, limit));
  }

  /** Unit vector from SHA-256(block index, text): 16 numbers per hash. */
  static float[] vector(String text, int length) {
    byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
    MessageDigest sha256 = ModelStore.newSha256();
    float[] vector = new float[length];
    ByteBuffer block = ByteBuffer.allocate(0);
    for (int i = 0; i < length; i++) {
      if (!block.hasRemaining()) {
        sha256.update(ByteBuffer.allocate(4).putInt(i / 16).array());
        sha256.update(bytes);
        block = ByteBuffer.wrap(sha256.digest());
      }
      vector[i] = block.getShort() / 32768f;
    }
    return normalise(vector);
  }

  /** As Ollama's {@code normalize}: float32 sums, norm floored at 1e-12. */
  private static float[] normalise(float[] vector) {
    float sum = 0;
    for (float value : vector) {
      sum += value * value;
    }
    float norm = (float) (1.0 / Math.max(Math.sqrt(sum), 1e-12));
    for (int i = 0; i < vector.length; i++) {
      vector[i] *= norm;
    }
    return vector;
  }
}
