package dev.keyway.ollama;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import okhttp3.mockwebserver.MockResponse;
import okhttp3.mockwebserver.MockWebServer;
import okhttp3.tls.HandshakeCertificates;
import okhttp3.tls.HeldCertificate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A private CA (Caddy's tls internal, a company CA) is one builder call. */
class TlsTest {
  HeldCertificate root;
  MockWebServer server;

  @BeforeEach
  void setUp() throws Exception {
    root = new HeldCertificate.Builder().certificateAuthority(0).commonName("Keyway Test Root").build();
    HeldCertificate leaf = new HeldCertificate.Builder().signedBy(root)
        .addSubjectAlternativeName("localhost").addSubjectAlternativeName("127.0.0.1").build();
    server = new MockWebServer();
    server.useHttps(new HandshakeCertificates.Builder().heldCertificate(leaf).build().sslSocketFactory(), false);
    server.start();
  }

  @AfterEach
  void tearDown() throws Exception {
    server.shutdown();
  }

  String url() {
    return "https://127.0.0.1:" + server.getPort();
  }

  @Test
  void untrustedCertificateSaysHowToTrustIt() {
    try (OllamaClient client = OllamaClient.builder().baseUrl(url()).maxRetries(0).build()) {
      assertThatThrownBy(client::version)
          .isInstanceOf(OllamaTransportException.class)
          .hasMessageContaining("TLS handshake with https://127.0.0.1:" + server.getPort() + " failed")
          .hasMessageContaining("trustCertificates");
    }
  }

  @Test
  void trustsACaGivenAsPemText() {
    server.enqueue(new MockResponse().setBody("{\"version\":\"0.33.0\"}"));
    try (OllamaClient client = OllamaClient.builder().baseUrl(url())
        .trustCertificatesPem(root.certificatePem()).build()) {
      assertThat(client.version()).isEqualTo("0.33.0");
    }
  }

  @Test
  void trustsACaGivenAsAPemFile(@TempDir Path dir) throws Exception {
    Path pem = dir.resolve("root.crt");
    Files.writeString(pem, root.certificatePem());
    server.enqueue(new MockResponse().setBody("{\"version\":\"0.33.0\"}"));
    try (OllamaClient client = OllamaClient.builder().baseUrl(url()).trustCertificates(pem).build()) {
      assertThat(client.version()).isEqualTo("0.33.0");
    }
  }

  @Test
  void pemWithoutACertificateIsRefused() {
    assertThatThrownBy(() -> OllamaClient.builder().trustCertificatesPem("not a pem"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("BEGIN CERTIFICATE");
  }
}
