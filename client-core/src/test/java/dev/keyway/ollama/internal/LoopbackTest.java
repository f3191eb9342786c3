package dev.keyway.ollama.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.keyway.ollama.OllamaClient;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Issue 10 finding 10: loopback is a parsed loopback literal or {@code localhost}, never a prefix,
 * so {@code requireHttps} cannot be bypassed by a name that merely starts like one.
 */
@Timeout(30)
class LoopbackTest {

  @ParameterizedTest
  @ValueSource(strings = {"localhost", "LOCALHOST", "localhost.", "127.0.0.1", "127.1.2.3",
      "127.255.255.255", "::1", "[::1]", "0:0:0:0:0:0:0:1", "0000:0000:0000:0000:0000:0000:0000:0001",
      "::ffff:127.0.0.1"})
  void loopbackLiteralsAndLocalhostAreLoopback(String host) {
    assertThat(OllamaHost.isLoopback(host)).isTrue();
  }

  @ParameterizedTest
  @ValueSource(strings = {"127.evil.example", "127.0.0.1.nip.io", "localhost.evil.com",
      "app.localhost", "evil-localhost", "127.0.0.1x", "127.0.0", "127.0.0.256", "0127.0.0.1",
      "127.00.0.1", "128.0.0.1", "10.0.0.1", "::2", "::1.evil.example", "[::1].evil", "fe80::1%lo0",
      "", "127..0.1", "1.127.0.0.1"})
  void namesThatOnlyLookLikeLoopbackAreNot(String host) {
    assertThat(OllamaHost.isLoopback(host)).isFalse();
  }

  @ParameterizedTest
  @ValueSource(strings = {"http://127.evil.example", "http://127.0.0.1.nip.io:11434",
      "http://localhost.evil.com", "http://app.localhost"})
  void requireHttpsRefusesAHostThatOnlyLooksLikeLoopback(String url) {
    OllamaClient.Builder builder =
        OllamaClient.builder().baseUrl(url).apiKey("kw-secret-loopback").requireHttps(true);
    assertThatThrownBy(builder::build).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("requireHttps");
  }

  @ParameterizedTest
  @ValueSource(strings = {"http://127.0.0.1:11434", "http://localhost:11434", "http://[::1]:11434"})
  void requireHttpsAllowsPlainHttpToLoopback(String url) {
    try (OllamaClient client =
        OllamaClient.builder().baseUrl(url).apiKey("kw-secret-loopback").requireHttps(true).build()) {
      assertThat(client.baseUrl()).startsWith("http://");
    }
  }
}
