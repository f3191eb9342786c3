package dev.keyway.ollama.spring.gateway;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Iterator;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * The gateway's verdict on a chat, generate, embed or show body from a browser: refused with a status and a
 * message, or accepted with the exact bytes to send upstream. What goes upstream is Jackson's
 * re-serialisation of what was checked, never the browser's bytes, so trailing data or odd
 * encodings cannot carry anything past the checks.
 *
 * @param status 200 when accepted, else the status to answer with
 * @param error the message for the browser when refused
 * @param body the JSON to forward when accepted
 * @param streaming whether the forwarded request streams
 */
record GatewayRequest(int status, @Nullable String error, byte @Nullable [] body, boolean streaming) {
  private static final ObjectMapper STRICT =
      JsonMapper.builder().enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION).build();

  boolean refused() {
    return status != 200;
  }

  /** What a browser may send to each JSON endpoint the gateway serves. */
  enum Endpoint {
    /** {@code /api/chat} and {@code /api/generate}: any field; num_predict capped; streams. */
    GENERATE(null),
    /** {@code /api/embed}: only these fields, never streamed. */
    EMBED(Set.of("model", "input", "truncate", "dimensions", "keep_alive", "options")),
    /** {@code /api/show}: only these fields (not the deprecated {@code name} alias). */
    SHOW(Set.of("model", "verbose"));

    private final @Nullable Set<String> fields;

    Endpoint(@Nullable Set<String> fields) {
      this.fields = fields;
    }
  }

  static GatewayRequest check(byte[] raw, ModelPolicy policy, @Nullable Integer maxNumPredict) {
    return check(raw, policy, maxNumPredict, Endpoint.GENERATE);
  }

  static GatewayRequest check(
      byte[] raw, ModelPolicy policy, @Nullable Integer maxNumPredict, Endpoint endpoint) {
    ObjectNode body;
    try {
      JsonNode tree = STRICT.readTree(raw);
      if (tree == null || !tree.isObject()) {
        return refuse(400, "request body must be a JSON object");
      }
      body = (ObjectNode) tree;
    } catch (JsonProcessingException e) {
      return refuse(400, "invalid JSON: " + e.getOriginalMessage());
    } catch (java.io.IOException e) {
      return refuse(400, "unreadable request body");
    }
    if (!lowerCaseFieldNames(body)) {
      // Ollama decodes with Go's encoding/json, which matches field names case-insensitively
      // (and folds 'ſ' to 's', 'K' to 'k'): "MODEL" or "Options" would reach the same fields as
      // "model" and "options" upstream while escaping the checks below.
      return refuse(400, "field names must be lower-case ASCII, as Ollama's are");
    }
    if (endpoint.fields != null) {
      // Only the fields this endpoint documents go upstream: an alias Ollama still honours (such
      // as show's deprecated "name") cannot name a model the allow-list never saw.
      for (Iterator<String> names = body.fieldNames(); names.hasNext(); ) {
        String name = names.next();
        if (!endpoint.fields.contains(name)) {
          return refuse(400, "field '" + name + "' is not accepted here by this gateway");
        }
      }
    }
    JsonNode model = body.get("model");
    if (!policy.allowsAll() && (model == null || !model.isTextual() || !policy.allows(model.asText()))) {
      String name = model != null && model.isTextual() && ModelPolicy.isPlain(model.asText())
          ? "'" + model.asText() + "'" : "requested";
      return refuse(403, "model " + name + " is not allowed by this gateway");
    }
    if (endpoint != Endpoint.GENERATE) {
      return accept(body, false);
    }
    String problem = capNumPredict(body, maxNumPredict);
    if (problem != null) {
      return refuse(400, problem);
    }
    JsonNode stream = body.get("stream");
    if (stream != null && !stream.isNull() && !stream.isBoolean()) {
      return refuse(400, "stream must be true or false");
    }
    boolean streaming = stream == null || stream.isNull() || stream.asBoolean();
    body.put("stream", streaming);
    return accept(body, streaming);
  }

  private static GatewayRequest accept(ObjectNode body, boolean streaming) {
    try {
      return new GatewayRequest(200, null, STRICT.writeValueAsBytes(body), streaming);
    } catch (JsonProcessingException e) {
      return refuse(400, "request body cannot be forwarded");
    }
  }

  private static GatewayRequest refuse(int status, String error) {
    return new GatewayRequest(status, error, null, false);
  }

  private static boolean lowerCaseFieldNames(ObjectNode body) {
    for (Iterator<String> names = body.fieldNames(); names.hasNext(); ) {
      String name = names.next();
      for (int i = 0; i < name.length(); i++) {
        char c = name.charAt(i);
        if (c >= 0x80 || (c >= 'A' && c <= 'Z')) {
          return false;
        }
      }
    }
    return true;
  }

  /** Applies {@code max-num-predict}; returns a message when the request cannot be accepted. */
  private static @Nullable String capNumPredict(ObjectNode body, @Nullable Integer maxNumPredict) {
    if (maxNumPredict == null) {
      return null;
    }
    JsonNode options = body.get("options");
    if (options == null || options.isNull()) {
      options = body.putObject("options");
    } else if (!options.isObject()) {
      return "options must be a JSON object";
    }
    JsonNode current = options.get("num_predict");
    if (current != null && !current.isNull() && !current.isIntegralNumber()) {
      return "options.num_predict must be an integer";
    }
    // A number beyond long (Ollama reads it as float64, and an out-of-range float64 → int
    // conversion in Go can come out negative: unlimited) counts as too large.
    long value = current == null || current.isNull() ? -1
        : current.canConvertToLong() ? current.asLong() : Long.MAX_VALUE;
    if (value < 0 || value > maxNumPredict) {
      ((ObjectNode) options).put("num_predict", maxNumPredict);
    }
    return null;
  }
}
