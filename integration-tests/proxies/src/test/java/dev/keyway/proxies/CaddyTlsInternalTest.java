package dev.keyway.proxies;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.keyway.ollama.OllamaClient;
import dev.keyway.ollama.OllamaTransportException;
import dev.keyway.ollama.model.ModelSummary;
import dev.keyway.ollama.spring.OllamaAutoConfiguration;
import java.io.IOException;
import java.io.InputStream;
import java.net.http.HttpClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.autoconfigure.ssl.SslAutoConfiguration;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

/**
 * Caddy serving HTTPS with its own CA ({@code tls internal}), the common setup on a LAN: the client
 * trusts Caddy's root certificate through the builder, or through a Spring SSL bundle with the
 * starter; without it, the handshake fails with an error that says how to trust it.
 */
class CaddyTlsInternalTest extends CaddyApiKeyTest {

  @Override
  ProxyProcess startProxy(Path dir, int upstreamPort) {
    return Caddy.start(Caddy.Variant.TLS_INTERNAL, dir, upstreamPort, KEY);
  }

  @Override
  String baseUrl() {
    return "https://127.0.0.1:" + proxy.port;
  }

  @Override
  OllamaClient.Builder clientBuilder() {
    return super.clientBuilder().trustCertificates(Caddy.rootCertificate(dir));
  }

  @Override
  HttpClient httpClient() {
    try (InputStream pem = Files.newInputStream(Caddy.rootCertificate(dir))) {
      KeyStore trust = KeyStore.getInstance(KeyStore.getDefaultType());
      trust.load(null, null);
      trust.setCertificateEntry("caddy", CertificateFactory.getInstance("X.509").generateCertificate(pem));
      TrustManagerFactory factory = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      factory.init(trust);
      SSLContext tls = SSLContext.getInstance("TLS");
      tls.init(null, factory.getTrustManagers(), null);
      return HttpClient.newBuilder().sslContext(tls).build();
    } catch (IOException | GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  @Test
  void anUntrustedCertificateSaysHowToTrustIt() {
    try (OllamaClient client = OllamaClient.builder().baseUrl(baseUrl()).apiKey(KEY).maxRetries(0).build()) {
      assertThatThrownBy(client::listModels)
          .isInstanceOf(OllamaTransportException.class)
          .hasMessageContaining("TLS handshake with " + baseUrl())
          .hasMessageContaining("trustCertificates")
          .hasMessageContaining("ollama.ssl.bundle")
          .satisfies(e -> assertThat(e.getMessage()).doesNotContain(KEY));
    }
    assertThat(upstream.requests()).noneMatch(r -> r.path().equals("/api/tags") && r.header("X-API-Key") == null);
  }

  @Test
  void theStarterTrustsCaddyThroughAnSslBundle() {
    new ApplicationContextRunner()
        .withConfiguration(AutoConfigurations.of(SslAutoConfiguration.class, OllamaAutoConfiguration.class))
        .withPropertyValues(
            "spring.ssl.bundle.pem.caddy.truststore.certificate=file:" + Caddy.rootCertificate(dir),
            "ollama.ssl.bundle=caddy",
            "ollama.base-url=" + baseUrl(),
            "ollama.api-key=" + KEY,
            "ollama.api-key-header=X-API-Key")
        .run(context -> {
          assertThat(context).hasNotFailed();
          OllamaClient client = context.getBean(OllamaClient.class);
          assertThat(client.listModels()).extracting(ModelSummary::name).contains("llama3.2:latest");
          assertThat(client.chat(chat("llama3.2")).message().content()).isEqualTo(String.join("", TOKENS));
        });
  }

  @Test
  void theStarterWithoutTheBundleFailsTheHandshake() {
    new ApplicationContextRunner()
        .withConfiguration(AutoConfigurations.of(SslAutoConfiguration.class, OllamaAutoConfiguration.class))
        .withPropertyValues("ollama.base-url=" + baseUrl(), "ollama.api-key=" + KEY,
            "ollama.api-key-header=X-API-Key", "ollama.retry.max-retries=0")
        .run(context -> assertThatThrownBy(context.getBean(OllamaClient.class)::listModels)
            .isInstanceOf(OllamaTransportException.class)
            .hasMessageContaining("ollama.ssl.bundle"));
  }
}
