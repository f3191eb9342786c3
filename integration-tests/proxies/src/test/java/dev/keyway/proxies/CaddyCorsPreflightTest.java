package dev.keyway.proxies;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * The Caddy setup with the CORS-preflight block people add for browser callers: OPTIONS is answered
 * without the key (browsers never send credentials on a preflight), everything else is checked as
 * before. Keyway's calls come from a backend and must work through it unchanged.
 */
class CaddyCorsPreflightTest extends CaddyApiKeyTest {

  @Override
  ProxyProcess startProxy(Path dir, int upstreamPort) {
    return Caddy.start(Caddy.Variant.CORS_PREFLIGHT, dir, upstreamPort, KEY);
  }

  @Test
  void preflightIsAnsweredWithoutTheKeyAndNeverReachesOllama() throws IOException, InterruptedException {
    int before = upstream.requestCount();
    HttpResponse<String> preflight = HttpClient.newHttpClient().send(
        HttpRequest.newBuilder(URI.create(baseUrl() + "/api/chat"))
            .method("OPTIONS", HttpRequest.BodyPublishers.noBody())
            .header("Origin", Caddy.ALLOWED_ORIGIN)
            .header("Access-Control-Request-Method", "POST")
            .header("Access-Control-Request-Headers", "content-type,x-api-key")
            .build(),
        HttpResponse.BodyHandlers.ofString());
    assertThat(preflight.statusCode()).isEqualTo(204);
    assertThat(preflight.headers().firstValue("Access-Control-Allow-Origin")).hasValue(Caddy.ALLOWED_ORIGIN);
    assertThat(preflight.headers().firstValue("Access-Control-Allow-Headers").orElseThrow())
        .containsIgnoringCase("X-API-Key");
    assertThat(upstream.requestCount()).isEqualTo(before);
  }

  @Test
  void proxiedAnswersCarryTheAllowedOrigin() throws IOException, InterruptedException {
    HttpResponse<String> tags = HttpClient.newHttpClient().send(
        HttpRequest.newBuilder(URI.create(baseUrl() + "/api/tags")).header("X-API-Key", KEY).build(),
        HttpResponse.BodyHandlers.ofString());
    assertThat(tags.statusCode()).isEqualTo(200);
    assertThat(tags.headers().firstValue("Access-Control-Allow-Origin")).hasValue(Caddy.ALLOWED_ORIGIN);
  }
}
