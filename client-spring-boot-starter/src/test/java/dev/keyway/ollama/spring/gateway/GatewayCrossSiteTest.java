package dev.keyway.ollama.spring.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import dev.keyway.ollama.testkit.OllamaStandIn;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * With no {@code allowed-origins} (the default), what a page on another site can make a browser
 * send is refused before anything goes upstream; same-origin pages and non-browser clients pass.
 */
@SpringBootTest(classes = GatewayFixture.App.class, webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
    properties = {"ollama.gateway.enabled=true"})
class GatewayCrossSiteTest extends GatewayFixture {
  static final String KEY = "kw-secret-gateway-cross-site-1618";
  @AutoClose static final OllamaStandIn OLLAMA = OllamaStandIn.builder().requireApiKey(KEY).build();
  static final String GENERATE = "{\"model\":\"llama3.2\",\"prompt\":\"p\",\"stream\":false}";

  @DynamicPropertySource
  static void upstream(DynamicPropertyRegistry registry) {
    upstream(registry, OLLAMA::baseUrl, KEY);
  }

  String self() {
    return "http://127.0.0.1:" + port();
  }

  HttpResponse<String> generate(String contentType, String... headers) throws Exception {
    HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(self() + "/ollama/api/generate"))
        .POST(HttpRequest.BodyPublishers.ofString(GENERATE)).header("Content-Type", contentType);
    if (headers.length > 0) {
      request.headers(headers);
    }
    return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void aForeignOriginIsRefusedAndNothingGoesUpstream() throws Exception {
    int before = OLLAMA.requestCount();
    HttpResponse<String> json = generate("application/json", "Origin", "https://evil.example");
    HttpResponse<String> get = http.send(HttpRequest.newBuilder(URI.create(self() + "/ollama/api/tags"))
        .header("Origin", "https://evil.example").build(), HttpResponse.BodyHandlers.ofString());
    assertThat(json.statusCode()).isEqualTo(403);
    assertThat(get.statusCode()).isEqualTo(403);
    assertThat(json.headers().firstValue("Access-Control-Allow-Origin")).isEmpty();
    assertThat(OLLAMA.requestCount()).isEqualTo(before);
  }

  @Test
  void aFormsContentTypesAreRefusedAndNothingGoesUpstream() throws Exception {
    int before = OLLAMA.requestCount();
    for (String type : new String[] {"text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=b"}) {
      assertThat(generate(type).statusCode()).as(type).isEqualTo(415);
      assertThat(generate(type, "Origin", self()).statusCode()).as(type).isEqualTo(415);
    }
    assertThat(OLLAMA.requestCount()).isEqualTo(before);
  }

  @Test
  void sameOriginAndNonBrowserJsonPass() throws Exception {
    int before = OLLAMA.requestCount();
    assertThat(generate("application/json", "Origin", self()).statusCode()).isEqualTo(200);
    assertThat(generate("application/json; charset=utf-8").statusCode()).isEqualTo(200);
    assertThat(OLLAMA.requestCount()).isEqualTo(before + 2);
  }

  @Test
  void aPreflightIsNotAnsweredWithoutListedOrigins() throws Exception {
    HttpResponse<String> preflight = http.send(HttpRequest.newBuilder(URI.create(self() + "/ollama/api/generate"))
        .method("OPTIONS", HttpRequest.BodyPublishers.noBody()).header("Origin", "https://evil.example")
        .header("Access-Control-Request-Method", "POST").build(), HttpResponse.BodyHandlers.ofString());
    assertThat(preflight.statusCode()).isEqualTo(403);
    assertThat(preflight.headers().firstValue("Access-Control-Allow-Origin")).isEmpty();
  }
}
