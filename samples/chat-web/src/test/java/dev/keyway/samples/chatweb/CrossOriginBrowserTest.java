package dev.keyway.samples.chatweb;

import static org.assertj.core.api.Assertions.assertThat;

import dev.keyway.ollama.testkit.OllamaStandIn;
import dev.keyway.ollama.testkit.ScriptedModel;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Map;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * Findings 4 and 5 of issue 10, in a real Chromium: a single-page app on a listed origin calls
 * the gateway behind Spring Security, with an {@code Authorization} header and with {@code
 * credentials: 'include'} (its preflight carries no credentials and must be answered anyway); a
 * page on any other origin gets nothing, and nothing it sends reaches upstream.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT, properties = "keyway.demo=false")
class CrossOriginBrowserTest {
  static final String KEY = Http.newKey("kw-secret-cors-");
  @AutoClose static final OllamaStandIn OLLAMA = OllamaStandIn.builder().requireApiKey(KEY)
      .model(ScriptedModel.named("llama3.2").answer("Blue.")).build();
  @AutoClose static final Pages SPA = new Pages(path -> "<!doctype html><title>spa</title>");
  @AutoClose static final Pages EVIL = new Pages(path -> "<!doctype html><title>elsewhere</title>");
  static final String CHAT = "{\"model\":\"llama3.2\",\"stream\":false,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
  @AutoClose static Chromium chromium;

  @DynamicPropertySource
  static void config(DynamicPropertyRegistry registry) {
    registry.add("ollama.base-url", OLLAMA::baseUrl);
    registry.add("ollama.api-key", () -> KEY);
    registry.add("ollama.api-key-header", () -> "X-API-Key");
    registry.add("ollama.gateway.allowed-origins", SPA::origin);
  }

  @BeforeAll
  static void startBrowser() throws Exception {
    chromium = Chromium.start();
  }

  @LocalServerPort int port;
  @Autowired SecurityConfig.GatewayLogin login;

  String gateway(String path) {
    return "http://127.0.0.1:" + port + "/ollama" + path;
  }

  String basic() {
    return "Basic " + Base64.getEncoder().encodeToString(
        (login.username() + ":" + login.password()).getBytes(StandardCharsets.UTF_8));
  }

  /** fetch() from the current page; answers {status, body} or {error} when the browser refused it. */
  Map<String, Object> fetch(String url, String options) {
    String json = (String) chromium.async("fetch(arguments[0], " + options + ")"
        + ".then(async r => done(JSON.stringify({status: r.status, body: await r.text()})))"
        + ".catch(e => done(JSON.stringify({error: e.name + ': ' + e.message})));", url);
    return Http.parse(json);
  }

  /** Lets the browser hold the gateway's Basic credentials, as after a user signed in to it once. */
  void signInOnce() {
    chromium.browser.get("http://" + login.username() + ":" + login.password() + "@127.0.0.1:" + port
        + "/ollama/api/version");
    chromium.browser.get("http://127.0.0.1:" + port + "/");
    assertThat(fetch(gateway("/api/version"), "{}")).as("the browser now sends its cached credentials")
        .containsEntry("status", 200);
  }

  @Test
  void aListedOriginsPreflightIsAnsweredWithoutCredentials() {
    java.net.http.HttpResponse<String> preflight = Http.send(java.net.http.HttpRequest.newBuilder(
            java.net.URI.create(gateway("/api/chat")))
        .method("OPTIONS", java.net.http.HttpRequest.BodyPublishers.noBody()).header("Origin", SPA.origin())
        .header("Access-Control-Request-Method", "POST")
        .header("Access-Control-Request-Headers", "authorization,content-type").build());

    assertThat(preflight.statusCode()).as("%s", preflight.headers().map()).isEqualTo(200);
    assertThat(preflight.headers().firstValue("Access-Control-Allow-Origin")).hasValue(SPA.origin());
    assertThat(preflight.headers().firstValue("Access-Control-Allow-Credentials")).hasValue("true");
    assertThat(preflight.headers().firstValue("Access-Control-Allow-Headers").orElse("").toLowerCase())
        .contains("authorization").contains("content-type");
  }

  @Test
  void anAllowedOriginCallsTheGatewayWithAnAuthorizationHeader() {
    int before = OLLAMA.requestCount();
    chromium.browser.get(SPA.origin() + "/");

    Map<String, Object> answer = fetch(gateway("/api/chat"), "{method: 'POST', body: '" + CHAT
        + "', headers: {'Authorization': '" + basic() + "', 'Content-Type': 'application/json'}}");

    assertThat(answer).as("%s", answer).containsEntry("status", 200);
    assertThat((String) answer.get("body")).contains("Blue.").doesNotContain(KEY);
    assertThat(OLLAMA.requestCount()).isEqualTo(before + 1);
  }

  @Test
  void anAllowedOriginCallsTheGatewayWithCredentialsInclude() {
    signInOnce();
    int before = OLLAMA.requestCount();
    chromium.browser.get(SPA.origin() + "/");

    Map<String, Object> answer = fetch(gateway("/api/chat"), "{method: 'POST', credentials: 'include', body: '"
        + CHAT + "', headers: {'Content-Type': 'application/json'}}");

    assertThat(answer).as("%s", answer).containsEntry("status", 200);
    assertThat((String) answer.get("body")).contains("Blue.");
    assertThat(OLLAMA.requestCount()).isEqualTo(before + 1);
  }

  @Test
  void aForeignOriginGetsNothingAndNothingGoesUpstream() {
    signInOnce();
    int before = OLLAMA.requestCount();
    chromium.browser.get(EVIL.origin() + "/");

    Map<String, Object> withHeader = fetch(gateway("/api/chat"), "{method: 'POST', body: '" + CHAT
        + "', headers: {'Authorization': '" + basic() + "', 'Content-Type': 'application/json'}}");
    Map<String, Object> withCookies = fetch(gateway("/api/chat"), "{method: 'POST', credentials: 'include', body: '"
        + CHAT + "', headers: {'Content-Type': 'application/json'}}");
    Map<String, Object> simpleGet = fetch(gateway("/api/tags"), "{credentials: 'include'}");

    assertThat(withHeader).containsKey("error");
    assertThat(withCookies).containsKey("error");
    assertThat(simpleGet).containsKey("error");
    assertThat(OLLAMA.requestCount()).isEqualTo(before);
  }
}
