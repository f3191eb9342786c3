package dev.keyway.ollama.spring.gateway;

import com.code_intelligence.jazzer.junit.FuzzTest;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.util.Iterator;
import java.util.List;
import java.util.Set;

/**
 * Coverage-guided fuzzing of the gateway's request checks: any body is refused with a 400 or 403
 * and a message, or accepted, and what is accepted obeys the policy when read back the way Ollama
 * would (the allowed model, field names Go cannot fold onto others, {@code num_predict} within
 * the cap, a boolean {@code stream}). The default build replays the committed inputs; the {@code
 * fuzz-gateway} surefire execution fuzzes for the time below.
 */
class GatewayRequestFuzzTest {
  private static final ModelPolicy POLICY = new ModelPolicy(List.of("llama3.2"));
  private static final int CAP = 5;
  private static final ObjectMapper STRICT =
      JsonMapper.builder().enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION).build();

  @FuzzTest(maxDuration = "30s")
  void anyBodyIsRefusedOrForwardedWithinThePolicy(byte[] raw) throws Exception {
    GatewayRequest verdict = GatewayRequest.check(raw, POLICY, CAP);
    checkGenerate(verdict);
    checkOthers(GatewayRequest.check(raw, POLICY, CAP, GatewayRequest.Endpoint.EMBED),
        Set.of("model", "input", "truncate", "dimensions", "keep_alive", "options"));
    checkOthers(GatewayRequest.check(raw, POLICY, CAP, GatewayRequest.Endpoint.SHOW),
        Set.of("model", "verbose"));
  }

  /** Embed and show: refused, or forwarded with only their own fields and an allowed model. */
  private static void checkOthers(GatewayRequest verdict, Set<String> fields) throws Exception {
    if (verdict.refused()) {
      check(verdict.status() == 400 || verdict.status() == 403, "refused with " + verdict.status());
      check(verdict.error() != null && !verdict.error().isBlank(), "a refusal without a message");
      return;
    }
    JsonNode forwarded = STRICT.readTree(verdict.body());
    check(forwarded.isObject() && !verdict.streaming(), "forwarded a non-object or a stream");
    check(forwarded.path("model").isTextual() && POLICY.allows(forwarded.get("model").asText()),
        "forwarded a model off the allow-list: " + forwarded.path("model"));
    for (Iterator<String> names = forwarded.fieldNames(); names.hasNext(); ) {
      String name = names.next();
      check(fields.contains(name), "forwarded field " + name);
    }
  }

  private static void checkGenerate(GatewayRequest verdict) throws Exception {
    if (verdict.refused()) {
      check(verdict.status() == 400 || verdict.status() == 403, "refused with " + verdict.status());
      check(verdict.error() != null && !verdict.error().isBlank(), "a refusal without a message");
      return;
    }
    JsonNode forwarded = STRICT.readTree(verdict.body());
    check(forwarded.isObject(), "forwarded a non-object");
    check(forwarded.path("model").isTextual() && POLICY.allows(forwarded.get("model").asText()),
        "forwarded a model off the allow-list: " + forwarded.path("model"));
    for (Iterator<String> names = forwarded.fieldNames(); names.hasNext(); ) {
      String name = names.next();
      check(name.chars().allMatch(c -> c < 0x80 && !(c >= 'A' && c <= 'Z')), "forwarded field " + name);
    }
    JsonNode numPredict = forwarded.path("options").path("num_predict");
    check(numPredict.isIntegralNumber() && numPredict.canConvertToInt()
        && numPredict.asInt() >= 0 && numPredict.asInt() <= CAP, "forwarded num_predict " + numPredict);
    check(forwarded.path("stream").isBoolean() && forwarded.get("stream").asBoolean() == verdict.streaming(),
        "stream flag");
  }

  private static void check(boolean condition, String what) {
    if (!condition) {
      throw new AssertionError(what);
    }
  }
}
