package dev.keyway.proxies;

import static org.assertj.core.api.Assertions.assertThat;

import dev.keyway.ollama.Credential;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** The widely copied Caddy setup: X-API-Key header matcher, open /health, 401 for the rest. */
class CaddyApiKeyTest extends ProxyContract {
  static final String KEY = "kw-secret-caddy-1";

  @Override
  ProxyProcess startProxy(Path dir, int upstreamPort) {
    return Caddy.start(Caddy.Variant.API_KEY, dir, upstreamPort, KEY);
  }

  @Override
  String baseUrl() {
    return "http://127.0.0.1:" + proxy.port;
  }

  @Override
  boolean keepsItsConnectionToOllama() {
    return true;
  }

  @Override
  Credential rightCredential() {
    return Credential.apiKey(KEY);
  }

  @Override
  Credential wrongCredential() {
    return Credential.apiKey("kw-secret-caddy-wrong");
  }

  @Override
  String credentialHeader() {
    return "X-API-Key";
  }


  /** A plain HTTP client for requests the Ollama client never makes. */
  HttpClient httpClient() {
    return HttpClient.newHttpClient();
  }

  @Test
  void healthAnswersWithoutTheKey() throws IOException, InterruptedException {
    HttpResponse<String> health = httpClient().send(
        HttpRequest.newBuilder(URI.create(baseUrl() + "/health")).build(), HttpResponse.BodyHandlers.ofString());
    assertThat(health.statusCode()).isEqualTo(200);
  }

  @Test
  void aKeyInTheWrongHeaderIsRefused() throws IOException, InterruptedException {
    HttpResponse<String> bearer = httpClient().send(
        HttpRequest.newBuilder(URI.create(baseUrl() + "/api/tags")).header("Authorization", "Bearer " + KEY).build(),
        HttpResponse.BodyHandlers.ofString());
    assertThat(bearer.statusCode()).isEqualTo(401);
    assertThat(bearer.body()).isEqualTo("Unauthorized");
  }
}
