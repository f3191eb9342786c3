package dev.keyway.ollama.spring.gateway;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.BooleanNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import java.math.BigDecimal;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * The gateway's verdict on a chat, generate, embed or show body from a browser: refused with a
 * status and a message, or accepted with the exact bytes to send upstream.
 *
 * <p>What goes upstream is built from the checked tree, never the browser's bytes: only the
 * top-level fields Ollama reads for that endpoint and the rules let through, and only the options
 * Ollama reads. Trailing data, odd encodings, duplicate keys and fields Ollama would see under
 * another spelling therefore cannot carry anything past the checks. The rules are in
 * {@code docs/gateway.md}.
 *
 * @param status 200 when accepted, else the status to answer with
 * @param reason when refused, the denial reason told to the audit log and metrics ({@link
 *     GatewayDenials#NOT_ALLOWED} or {@link GatewayDenials#BAD_REQUEST})
 * @param error the message for the browser when refused
 * @param body the JSON to forward when accepted
 * @param streaming whether the forwarded request streams
 * @param model when refused, the body's top-level {@code model} if it is a plain name, for the audit log
 */
record GatewayRequest(int status, @Nullable String reason, @Nullable String error, byte @Nullable [] body,
    boolean streaming, @Nullable String model) {
  // Floats as BigDecimal: a double would turn 1e400 into Infinity, which is not JSON when written
  // back, and would round what Go reads differently.
  private static final ObjectMapper STRICT = JsonMapper.builder(GatewayJson.factory().build())
      .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
      .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
      .nodeFactory(JsonNodeFactory.withExactBigDecimals(true))
      .build();

  /** Sampling options a browser may set by default ({@code num_predict} is capped separately). */
  static final Set<String> SAMPLING_OPTIONS = Set.of("temperature", "top_p", "top_k", "min_p",
      "typical_p", "seed", "stop", "repeat_penalty", "repeat_last_n", "presence_penalty",
      "frequency_penalty", "num_predict");

  /**
   * Options some Ollama version reads that control loading, memory, the runner or the context
   * (and the removed ones that older servers still read): refused unless allowed by name.
   */
  static final Set<String> OTHER_KNOWN_OPTIONS = Set.of("num_ctx", "num_batch", "num_gpu",
      "main_gpu", "use_mmap", "num_thread", "num_keep", "draft_num_predict", "numa", "low_vram",
      "f16_kv", "logits_all", "vocab_only", "use_mlock", "embedding_only", "mirostat",
      "mirostat_tau", "mirostat_eta", "tfs_z", "penalize_newline");

  boolean refused() {
    return status != 200;
  }

  /**
   * What a browser may send to each JSON endpoint the gateway serves: every top-level field
   * Ollama reads there (current and removed ones older servers still read), and which of them pass
   * by default. {@code keep_alive} is not in {@code allowed}: it always passes, clamped.
   */
  enum Endpoint {
    /** {@code /api/chat}: streams; num_predict capped. */
    CHAT(true,
        Set.of("model", "messages", "tools", "format", "options", "stream", "think", "keep_alive",
            "truncate", "shift", "logprobs", "top_logprobs", "_debug_render_only"),
        Set.of("model", "messages", "tools", "format", "options", "stream", "think", "logprobs",
            "top_logprobs")),
    /** {@code /api/generate}: streams; num_predict capped. */
    GENERATE(true,
        Set.of("model", "prompt", "suffix", "system", "template", "context", "raw", "images",
            "format", "options", "stream", "think", "keep_alive", "truncate", "shift", "logprobs",
            "top_logprobs", "_debug_render_only", "width", "height", "steps"),
        Set.of("model", "prompt", "suffix", "system", "images", "format", "options", "stream",
            "think", "logprobs", "top_logprobs")),
    /** {@code /api/embed}: never streamed. */
    EMBED(false,
        Set.of("model", "input", "truncate", "dimensions", "keep_alive", "options"),
        Set.of("model", "input", "dimensions", "options")),
    /**
     * {@code /api/show}: the model only. The deprecated {@code name} alias is never accepted (it
     * could name a model the allow-list never saw).
     */
    SHOW(false,
        Set.of("model", "name", "verbose", "system", "template", "options"),
        Set.of("model"));

    private final boolean generates;
    private final Set<String> known;
    private final Set<String> allowed;

    Endpoint(boolean generates, Set<String> known, Set<String> allowed) {
      this.generates = generates;
      this.known = known;
      this.allowed = allowed;
    }

    Set<String> known() {
      return known;
    }
  }

  /**
   * Values of a refused field that mean the same as leaving it out (Ollama's defaults): such a
   * field is dropped instead of refused, so a client that always sends, say, {@code "raw":false}
   * still works.
   */
  private static final Map<String, JsonNode> NEUTRAL = Map.of(
      "raw", BooleanNode.FALSE, "truncate", BooleanNode.TRUE, "shift", BooleanNode.TRUE,
      "_debug_render_only", BooleanNode.FALSE, "verbose", BooleanNode.FALSE,
      "template", TextNode.valueOf(""), "system", TextNode.valueOf(""),
      "context", JsonNodeFactory.instance.arrayNode());

  /** Checks {@code raw} as a body for {@code endpoint}. */
  static GatewayRequest check(byte[] raw, RequestRules rules, Endpoint endpoint) {
    ObjectNode body;
    try {
      JsonNode tree = STRICT.readTree(raw);
      if (tree == null || !tree.isObject()) {
        return malformed("request body must be a JSON object", null);
      }
      body = (ObjectNode) tree;
    } catch (JsonProcessingException e) {
      return malformed("invalid JSON: " + e.getOriginalMessage(), null);
    } catch (java.io.IOException e) {
      return malformed("unreadable request body", null);
    } catch (NumberFormatException e) {
      // Jackson refuses some numbers only when it converts them (1e40077777777777777777777777
      // as a BigDecimal): a number no Go float64 or int64 can hold either. Found by the fuzzer.
      return malformed("invalid JSON: a number out of any range Ollama reads", null);
    }
    JsonNode given = body.get("model");
    String modelName = given != null && given.isTextual() ? GatewayDenials.plainModel(given.asText()) : null;
    ObjectNode out = STRICT.createObjectNode();
    for (Map.Entry<String, JsonNode> field : body.properties()) {
      String name = field.getKey();
      JsonNode value = field.getValue();
      if (!endpoint.known.contains(name)) {
        String lookAlike = foldsOnto(name, endpoint.known);
        if (lookAlike != null) {
          // Ollama decodes with Go's encoding/json, which matches field names case-insensitively
          // (and folds 'ſ' to 's', 'K' to 'k'): this key would reach the field the checks read
          // under its own spelling.
          return malformed("field '" + printable(name) + "' must be spelled '" + lookAlike
              + "' (Ollama reads field names case-insensitively)", modelName);
        }
        continue; // Ollama ignores it: so does the gateway (ollama4j's "useTools", for example)
      }
      if (value.isNull() || value.equals(NEUTRAL.get(name))) {
        continue; // the same as absent to Ollama
      }
      if (name.equals("keep_alive")) {
        String problem = clampKeepAlive(value, rules, out);
        if (problem != null) {
          return malformed(problem, modelName);
        }
        continue;
      }
      if (!endpoint.allowed.contains(name) && !rules.allowedFields().contains(name)
          || name.equals("name")) {
        return refuse(400, GatewayDenials.NOT_ALLOWED, "field '" + name + "' is not accepted by this gateway",
            modelName);
      }
      out.set(name, value);
    }
    JsonNode model = out.get("model");
    ModelPolicy policy = rules.models();
    if (!policy.allowsAll() && (model == null || !model.isTextual() || !policy.allows(model.asText()))) {
      String name = model != null && model.isTextual() && ModelPolicy.isPlain(model.asText())
          ? "'" + model.asText() + "'" : "requested";
      return refuse(403, GatewayDenials.NOT_ALLOWED, "model " + name + " is not allowed by this gateway", modelName);
    }
    GatewayRequest optionsRefused = checkOptions(out, rules, endpoint, modelName);
    if (optionsRefused != null) {
      return optionsRefused;
    }
    if (!endpoint.generates) {
      return accept(out, false);
    }
    JsonNode stream = out.get("stream");
    if (stream != null && !stream.isBoolean()) {
      return malformed("stream must be true or false", modelName);
    }
    boolean streaming = stream == null || stream.asBoolean();
    out.put("stream", streaming);
    return accept(out, streaming);
  }

  /**
   * The field of {@code known} that Go's {@code encoding/json} would decode {@code key} into
   * ({@code strings.EqualFold}: ASCII case, and 'ſ' (U+017F) and the Kelvin sign (U+212A), the
   * only non-ASCII runes that fold onto ASCII letters), or null.
   */
  static @Nullable String foldsOnto(String key, Set<String> known) {
    String folded = fold(key);
    if (folded == null) {
      return null;
    }
    for (String field : known) {
      if (folded.equals(field)) {
        return field;
      }
    }
    return null;
  }

  /** Lower-case ASCII form of {@code key} under Go's simple folding, or null when it has other non-ASCII. */
  private static @Nullable String fold(String key) {
    StringBuilder folded = new StringBuilder(key.length());
    for (int i = 0; i < key.length(); i++) {
      char c = key.charAt(i);
      if (c == '\u017F') {
        folded.append('s');
      } else if (c == '\u212A') {
        folded.append('k');
      } else if (c < 0x80) {
        folded.append(Character.toLowerCase(c));
      } else {
        return null; // cannot equal an ASCII field name under any folding
      }
    }
    return folded.toString();
  }

  /** Applies the option allow-list and {@code max-num-predict}; returns the refusal, or null. */
  private static @Nullable GatewayRequest checkOptions(ObjectNode out, RequestRules rules, Endpoint endpoint,
      @Nullable String modelName) {
    JsonNode given = out.get("options");
    if (given != null && !given.isObject()) {
      return malformed("options must be a JSON object", modelName);
    }
    ObjectNode options = STRICT.createObjectNode();
    if (given != null) {
      for (Map.Entry<String, JsonNode> option : given.properties()) {
        String name = option.getKey();
        // Ollama looks options up by exact name (api.Options.FromMap): other spellings and names
        // it does not know are ignored upstream, and dropped here.
        if (option.getValue().isNull()
            || !SAMPLING_OPTIONS.contains(name) && !OTHER_KNOWN_OPTIONS.contains(name)) {
          continue;
        }
        if (!SAMPLING_OPTIONS.contains(name) && !rules.allowedOptions().contains(name)) {
          return refuse(400, GatewayDenials.NOT_ALLOWED, "option '" + name + "' is not accepted by this gateway",
              modelName);
        }
        options.set(name, option.getValue());
      }
    }
    if (endpoint.generates && rules.maxNumPredict() != null) {
      String problem = capNumPredict(options, rules.maxNumPredict());
      if (problem != null) {
        return malformed(problem, modelName);
      }
    }
    if (options.isEmpty() && given == null) {
      out.remove("options");
    } else {
      out.set("options", options);
    }
    return null;
  }

  /**
   * Leaves {@code num_predict} as the integer Ollama would read when that is 1..cap, and sets the
   * cap otherwise. Ollama reads options as Go {@code float64} and converts with {@code int64(f)},
   * truncating toward zero: 0, -0, 0.5 and 0e0 all mean 0 (no limit or "the rest of the context",
   * depending on the version), and a number beyond int64 converts to a negative one.
   */
  private static @Nullable String capNumPredict(ObjectNode options, int cap) {
    JsonNode current = options.get("num_predict");
    if (current != null && !current.isNumber()) {
      return "options.num_predict must be a number";
    }
    long tokens = -1;
    if (current != null) {
      double asGo = Double.parseDouble(current.asText()); // correctly rounded, as Go's ParseFloat
      if (Double.isFinite(asGo) && Math.abs(asGo) < 0x1p62) {
        tokens = (long) asGo;
      }
    }
    options.put("num_predict", tokens >= 1 && tokens <= cap ? tokens : cap);
    return null;
  }

  /**
   * Clamps a {@code keep_alive} (a number of seconds or a Go duration string, as Ollama reads
   * them) into {@code [min-keep-alive, max-keep-alive]} and writes it as a duration string; 0
   * (unload now) and negatives (keep forever) come out as the bounds too. A negative
   * {@code max-keep-alive} turns the clamp off.
   */
  private static @Nullable String clampKeepAlive(JsonNode value, RequestRules rules, ObjectNode out) {
    BigDecimal nanos;
    if (value.isNumber()) {
      nanos = new BigDecimal(value.asText()).multiply(BigDecimal.valueOf(1_000_000_000L));
    } else if (value.isTextual()) {
      nanos = GoDuration.parseNanos(value.asText());
      if (nanos == null) {
        return "keep_alive must be a number of seconds or a duration such as \"5m\"";
      }
    } else {
      return "keep_alive must be a number of seconds or a duration such as \"5m\"";
    }
    Duration max = rules.maxKeepAlive();
    if (max.isNegative()) {
      out.set("keep_alive", value);
      return null;
    }
    BigDecimal maxNanos = BigDecimal.valueOf(max.toNanos());
    BigDecimal minNanos = BigDecimal.valueOf(Math.min(rules.minKeepAlive().toNanos(), max.toNanos()));
    BigDecimal kept;
    if (nanos.signum() <= 0 || nanos.compareTo(maxNanos) > 0) {
      kept = nanos.signum() < 0 || nanos.compareTo(maxNanos) > 0 ? maxNanos : minNanos;
    } else {
      kept = nanos.compareTo(minNanos) < 0 ? minNanos : nanos;
    }
    long millis = kept.movePointLeft(6).setScale(0, java.math.RoundingMode.CEILING).longValueExact();
    out.put("keep_alive", millis + "ms");
    return null;
  }

  private static String printable(String name) {
    StringBuilder s = new StringBuilder();
    name.codePoints().limit(64).forEach(cp -> {
      if (cp >= 0x20 && cp < 0x7f && cp != '\'') {
        s.append((char) cp);
      } else {
        s.append(String.format(Locale.ROOT, "\\u%04X", cp));
      }
    });
    return s.toString();
  }

  private static GatewayRequest accept(ObjectNode body, boolean streaming) {
    try {
      return new GatewayRequest(200, null, null, STRICT.writeValueAsBytes(body), streaming, null);
    } catch (JsonProcessingException e) {
      return malformed("request body cannot be forwarded", null);
    }
  }

  /** 400 {@link GatewayDenials#BAD_REQUEST}: not a body Ollama would read as sent. */
  private static GatewayRequest malformed(String error, @Nullable String model) {
    return refuse(400, GatewayDenials.BAD_REQUEST, error, model);
  }

  private static GatewayRequest refuse(int status, String reason, String error, @Nullable String model) {
    return new GatewayRequest(status, reason, error, null, false, model);
  }
}
