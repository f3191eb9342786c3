package dev.keyway.samples.chatweb;

import static org.assertj.core.api.Assertions.assertThat;

import dev.keyway.ollama.testkit.OllamaStandIn;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * Finding 4 of issue 10 as it was found, in a real Chromium and the sample's default configuration
 * (no allowed origins, the gateway exempt from CSRF tokens): the user signed in to the gateway
 * once, then visits another site, whose page auto-submits a {@code text/plain} form to the gateway.
 * The browser attaches the cached Basic credentials; the gateway must still refuse, and upstream
 * must see nothing.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT, properties = "keyway.demo=false")
class CrossSiteFormBrowserTest {
  static final String KEY = Http.newKey("kw-secret-form-");
  @AutoClose static final OllamaStandIn OLLAMA = OllamaStandIn.builder().requireApiKey(KEY).build();
  static volatile int appPort;
  /** The attacker's page: the form's one field spells a JSON body once the browser joins name, '=' and value. */
  @AutoClose static final Pages EVIL = new Pages(path -> "<!doctype html><body>"
      + "<form id=f method=post enctype=text/plain action='http://127.0.0.1:" + appPort + "/ollama/api/generate'>"
      + "<input type=hidden name='{\"model\":\"llama3.2\",\"prompt\":\"attacker\",\"keep_alive\":-1,\"x\":\"' value='\"}'>"
      + "</form><script>document.getElementById('f').submit()</script>");
  @AutoClose static Chromium chromium;

  @DynamicPropertySource
  static void config(DynamicPropertyRegistry registry) {
    registry.add("ollama.base-url", OLLAMA::baseUrl);
    registry.add("ollama.api-key", () -> KEY);
    registry.add("ollama.api-key-header", () -> "X-API-Key");
  }

  @BeforeAll
  static void startBrowser() throws Exception {
    chromium = Chromium.start();
  }

  @LocalServerPort int port;
  @Autowired SecurityConfig.GatewayLogin login;

  @Test
  void aCrossSiteTextPlainFormIsRefusedThoughTheBrowserSendsCachedCredentials() {
    appPort = port;
    String app = "http://127.0.0.1:" + port;
    chromium.browser.get("http://" + login.username() + ":" + login.password() + "@127.0.0.1:" + port
        + "/ollama/api/version");
    chromium.browser.get(app + "/");
    String cached = (String) chromium.async("fetch('/ollama/api/version').then(r => done('' + r.status))");
    assertThat(cached).as("the browser sends its cached Basic credentials").isEqualTo("200");
    int before = OLLAMA.requestCount();

    chromium.browser.get(EVIL.origin() + "/");
    // Until the browser shows the gateway's answer, or (had the gateway let it through) upstream got it.
    chromium.waitUntil(() -> OLLAMA.requestCount() > before
        || (chromium.browser.getCurrentUrl().startsWith(app + "/ollama/api/generate")
            && "complete".equals(chromium.browser.executeScript("return document.readyState"))));
    assertThat(OLLAMA.requests()).as("what reached upstream").noneMatch(r -> r.path().equals("/api/generate"));

    String shown = (String) chromium.browser.executeScript("return document.body.innerText");
    assertThat(shown).contains("origin may not call the gateway");
    assertThat(OLLAMA.requestCount()).as("requests upstream after the form").isEqualTo(before);
    assertThat(OLLAMA.requests()).noneMatch(r -> r.path().equals("/api/generate"));
  }
}
