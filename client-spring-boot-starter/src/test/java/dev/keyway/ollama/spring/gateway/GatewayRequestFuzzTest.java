package dev.keyway.ollama.spring.gateway;

import com.code_intelligence.jazzer.junit.FuzzTest;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.math.BigDecimal;
import java.time.Duration;
import java.util.Iterator;
import java.util.List;
import java.util.Set;

/**
 * Coverage-guided fuzzing of the gateway's request checks: any body is refused with a 400 or 403
 * and a message, or accepted, and what is accepted obeys the policy when read back the way Ollama
 * would: the allowed model; only fields Ollama reads, spelled exactly (nothing Go's
 * case-insensitive decoding could fold onto another field); only allowed fields and sampling
 * options; {@code num_predict} an integer within the cap; {@code keep_alive} within its bounds; a
 * boolean {@code stream}. The default build replays the committed inputs; the {@code
 * fuzz-gateway} surefire execution fuzzes for the time below.
 */
class GatewayRequestFuzzTest {
  private static final int CAP = 5;
  static final RequestRules RULES = new RequestRules(new ModelPolicy(List.of("llama3.2")), CAP,
      Set.of(), Set.of(), Duration.ofMinutes(1), Duration.ofMinutes(5));
  private static final ObjectMapper STRICT =
      JsonMapper.builder().enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION).build();

  @FuzzTest(maxDuration = "30s")
  void anyBodyIsRefusedOrForwardedWithinThePolicy(byte[] raw) throws Exception {
    for (GatewayRequest.Endpoint endpoint : GatewayRequest.Endpoint.values()) {
      check(GatewayRequest.check(raw, RULES, endpoint), endpoint);
    }
  }

  static void check(GatewayRequest verdict, GatewayRequest.Endpoint endpoint) throws Exception {
    if (verdict.refused()) {
      check(verdict.status() == 400 || verdict.status() == 403, "refused with " + verdict.status());
      check(verdict.error() != null && !verdict.error().isBlank(), "a refusal without a message");
      return;
    }
    JsonNode forwarded = STRICT.readTree(verdict.body());
    check(forwarded.isObject(), "forwarded a non-object");
    check(forwarded.path("model").isTextual() && RULES.models().allows(forwarded.get("model").asText()),
        "forwarded a model off the allow-list: " + forwarded.path("model"));
    Set<String> allowed = switch (endpoint) {
      case CHAT -> Set.of("model", "messages", "tools", "format", "options", "stream", "think",
          "logprobs", "top_logprobs", "keep_alive");
      case GENERATE -> Set.of("model", "prompt", "suffix", "system", "images", "format", "options",
          "stream", "think", "logprobs", "top_logprobs", "keep_alive");
      case EMBED -> Set.of("model", "input", "dimensions", "options", "keep_alive");
      case SHOW -> Set.of("model");
    };
    for (Iterator<String> names = forwarded.fieldNames(); names.hasNext(); ) {
      String name = names.next();
      check(allowed.contains(name), endpoint + " forwarded field " + name);
      check(!forwarded.get(name).isNull(), "forwarded null " + name);
    }
    JsonNode options = forwarded.path("options");
    for (Iterator<String> names = options.fieldNames(); names.hasNext(); ) {
      String name = names.next();
      check(GatewayRequest.SAMPLING_OPTIONS.contains(name), "forwarded option " + name);
    }
    JsonNode keepAlive = forwarded.get("keep_alive");
    if (keepAlive != null) {
      check(keepAlive.isTextual() && keepAlive.asText().matches("\\d+ms"), "keep_alive " + keepAlive);
      long millis = Long.parseLong(keepAlive.asText().replace("ms", ""));
      check(millis >= 60_000 && millis <= 300_000, "keep_alive out of bounds: " + keepAlive);
      check(new BigDecimal(millis).signum() > 0, "keep_alive 0");
    }
    if (endpoint == GatewayRequest.Endpoint.CHAT || endpoint == GatewayRequest.Endpoint.GENERATE) {
      JsonNode numPredict = options.path("num_predict");
      check(numPredict.isIntegralNumber() && numPredict.canConvertToInt()
          && numPredict.asInt() >= 1 && numPredict.asInt() <= CAP, "forwarded num_predict " + numPredict);
      check(forwarded.path("stream").isBoolean() && forwarded.get("stream").asBoolean() == verdict.streaming(),
          "stream flag");
    } else {
      check(!verdict.streaming(), endpoint + " streams");
    }
  }

  private static void check(boolean condition, String what) {
    if (!condition) {
      throw new AssertionError(what);
    }
  }
}
