package dev.keyway.ollama.spring.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import dev.keyway.ollama.testkit.OllamaStandIn;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.springframework.boot.actuate.audit.AuditEvent;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * Each refusal the gateway writes itself (without Spring Security in front, without usage limits)
 * is one {@code OLLAMA_GATEWAY_DENIED} audit event and one {@code ollama.gateway.denied} count
 * tagged by reason; never the upstream key, never prompt text. 404 and 405 are not refusals.
 */
@SpringBootTest(classes = {GatewayFixture.App.class, DenialProbe.Beans.class},
    webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
    properties = {"ollama.gateway.enabled=true", "ollama.gateway.allowed-models=llama3.2",
        "ollama.gateway.max-request-size=1KB", "management.endpoints.web.exposure.include=auditevents"})
@Timeout(30)
class GatewayDenialAuditTest extends DenialFixture {
  static final String KEY = "kw-secret-denial-audit-4242";
  static final String PROMPT = "prompt-text-plugh";
  @AutoClose static final OllamaStandIn OLLAMA = OllamaStandIn.builder().requireApiKey(KEY).build();
  /** The caller of every request here: no principal, no resolver, the loopback address. */
  static final String CALLER = CallerHash.PLAIN.hash("address:127.0.0.1");

  @DynamicPropertySource
  static void upstream(DynamicPropertyRegistry registry) {
    upstream(registry, OLLAMA::baseUrl, KEY);
  }

  static String generate(String model, String extra) {
    return "{\"model\":\"" + model + "\",\"prompt\":\"" + PROMPT + "\",\"stream\":false" + extra + "}";
  }

  /** Checks the event's principal, caller, path and model (null: no model in the event). */
  static void assertDenial(AuditEvent event, String path, @Nullable String model) {
    assertThat(event.getPrincipal()).isEqualTo("caller:" + CALLER);
    assertThat(event.getData()).containsEntry("caller", CALLER).containsEntry("path", path);
    if (model == null) {
      assertThat(event.getData()).doesNotContainKey("model");
    } else {
      assertThat(event.getData()).containsEntry("model", model);
    }
  }

  @Test
  void aForeignOriginIsAuditedAsCrossSite() throws Exception {
    double before = denials.count(GatewayDenials.CROSS_SITE);
    HttpResponse<String> r = post("/api/generate", generate("llama3.2", ""), "Origin", "https://evil.example");
    assertThat(r.statusCode()).isEqualTo(403);
    assertDenial(denials.awaitOne(GatewayDenials.CROSS_SITE), "/api/generate", null);
    assertThat(denials.count(GatewayDenials.CROSS_SITE)).isEqualTo(before + 1);
  }

  @Test
  void aNonJsonPostIsAuditedAsMediaType() throws Exception {
    double before = denials.count(GatewayDenials.MEDIA_TYPE);
    HttpResponse<String> r = http.send(HttpRequest.newBuilder(uri("/api/chat"))
        .POST(HttpRequest.BodyPublishers.ofString(PROMPT)).header("Content-Type", "text/plain").build(),
        HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).isEqualTo(415);
    assertDenial(denials.awaitOne(GatewayDenials.MEDIA_TYPE), "/api/chat", null);
    assertThat(denials.count(GatewayDenials.MEDIA_TYPE)).isEqualTo(before + 1);
  }

  @Test
  void aBodyOverTheSizeLimitIsAuditedAsTooLarge() throws Exception {
    double before = denials.count(GatewayDenials.TOO_LARGE);
    HttpResponse<String> r = post("/api/generate", generate("llama3.2", ",\"suffix\":\"" + "x".repeat(2048) + "\""));
    assertThat(r.statusCode()).isEqualTo(413);
    assertDenial(denials.awaitOne(GatewayDenials.TOO_LARGE), "/api/generate", null);
    assertThat(denials.count(GatewayDenials.TOO_LARGE)).isEqualTo(before + 1);
  }

  @Test
  void aModelOutsideTheAllowListIsAuditedAsNotAllowedWithTheModel() throws Exception {
    double before = denials.count(GatewayDenials.NOT_ALLOWED);
    HttpResponse<String> r = post("/api/generate", generate("mistral", ""));
    assertThat(r.statusCode()).isEqualTo(403);
    assertDenial(denials.awaitOne(GatewayDenials.NOT_ALLOWED), "/api/generate", "mistral");
    assertThat(denials.count(GatewayDenials.NOT_ALLOWED)).isEqualTo(before + 1);
  }

  @Test
  void aRefusedFieldAndARefusedOptionAreAuditedAsNotAllowed() throws Exception {
    double before = denials.count(GatewayDenials.NOT_ALLOWED);
    HttpResponse<String> field = post("/api/generate", generate("llama3.2", ",\"template\":\"{{ .Prompt }}\""));
    assertThat(field.statusCode()).isEqualTo(400);
    assertDenial(denials.awaitOne(GatewayDenials.NOT_ALLOWED), "/api/generate", "llama3.2");
    HttpResponse<String> option = post("/api/generate", generate("llama3.2", ",\"options\":{\"num_ctx\":131072}"));
    assertThat(option.statusCode()).isEqualTo(400);
    assertDenial(denials.awaitOne(GatewayDenials.NOT_ALLOWED), "/api/generate", "llama3.2");
    assertThat(denials.count(GatewayDenials.NOT_ALLOWED)).isEqualTo(before + 2);
  }

  @Test
  void aMalformedBodyIsAuditedAsBadRequest() throws Exception {
    double before = denials.count(GatewayDenials.BAD_REQUEST);
    HttpResponse<String> r = post("/api/chat", "{\"model\":\"llama3.2\",\"messages\":[");
    assertThat(r.statusCode()).isEqualTo(400);
    assertDenial(denials.awaitOne(GatewayDenials.BAD_REQUEST), "/api/chat", null);
    assertThat(denials.count(GatewayDenials.BAD_REQUEST)).isEqualTo(before + 1);
  }

  @Test
  void theActuatorsAuditEventsEndpointListsTheDenial() throws Exception {
    assertThat(post("/api/embed", "{\"model\":\"mistral\",\"input\":\"" + PROMPT + "\"}").statusCode()).isEqualTo(403);
    denials.awaitOne(GatewayDenials.NOT_ALLOWED);
    HttpResponse<String> listed = http.send(HttpRequest.newBuilder(
        java.net.URI.create("http://127.0.0.1:" + port() + "/actuator/auditevents?type=" + DenialEvents.AUDIT_TYPE)).build(),
        HttpResponse.BodyHandlers.ofString());
    assertThat(listed.statusCode()).isEqualTo(200);
    com.fasterxml.jackson.databind.JsonNode events = JSON.readTree(listed.body()).get("events");
    com.fasterxml.jackson.databind.JsonNode last = events.get(events.size() - 1);
    assertThat(last.get("type").asText()).isEqualTo(DenialEvents.AUDIT_TYPE);
    assertThat(last.get("principal").asText()).isEqualTo("caller:" + CALLER);
    assertThat(last.get("data").get("reason").asText()).isEqualTo(GatewayDenials.NOT_ALLOWED);
    assertThat(last.get("data").get("path").asText()).isEqualTo("/api/embed");
    assertThat(last.get("data").get("model").asText()).isEqualTo("mistral");
    assertThat(listed.body()).doesNotContain(KEY, PROMPT);
  }

  @Test
  void unknownPathsWrongMethodsAndAnsweredCallsAreNotAudited() throws Exception {
    assertThat(get("/api/pull").statusCode()).isEqualTo(404);
    assertThat(get("/api/chat").statusCode()).isEqualTo(405);
    assertThat(post("/api/generate", generate("llama3.2", "")).statusCode()).isEqualTo(200);
    // A refusal after them is the only event since the mark.
    assertThat(post("/api/generate", generate("mistral", "")).statusCode()).isEqualTo(403);
    denials.awaitOne(GatewayDenials.NOT_ALLOWED);
  }

  @Test
  void noEventOrMetricCarriesTheUpstreamKeyOrPromptText() throws Exception {
    post("/api/generate", generate("mistral", ""));
    post("/api/generate", generate("llama3.2", ",\"template\":\"" + PROMPT + "\""));
    post("/api/generate", generate("llama3.2", ",\"suffix\":\"" + PROMPT.repeat(100) + "\""));
    post("/api/generate", generate("llama3.2", ""), "Origin", "https://evil.example");
    post("/api/chat", "{\"model\":\"" + PROMPT + " x\",\"messages\":[");
    denials.awaitAll(GatewayDenials.NOT_ALLOWED, GatewayDenials.NOT_ALLOWED, GatewayDenials.TOO_LARGE,
        GatewayDenials.CROSS_SITE, GatewayDenials.BAD_REQUEST);
    assertThat(denials.everythingTold()).contains(DenialEvents.AUDIT_TYPE, DenialEvents.METRIC)
        .doesNotContain(KEY, "kw-secret", PROMPT);
    // Not even the caller's address: only its hash.
    assertThat(denials.denialsTold()).contains("reason=").doesNotContain("127.0.0.1");
  }
}
