package dev.keyway.ollama;

import static org.assertj.core.api.Assertions.assertThat;

import dev.keyway.ollama.internal.EnvConfig;
import java.util.HashMap;
import java.util.Map;
import okhttp3.mockwebserver.MockResponse;
import okhttp3.mockwebserver.MockWebServer;
import okhttp3.mockwebserver.RecordedRequest;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

/** OLLAMA_HOST as Ollama's Go client reads it (ollama-api.md §1.1), and the key variables. */
class EnvConfigTest {

  static String baseUrlFor(String host) {
    Map<String, String> env = new HashMap<>();
    if (host != null) {
      env.put("OLLAMA_HOST", host);
    }
    try (OllamaClient client = EnvConfig.apply(OllamaClient.builder(), env::get).build()) {
      return client.baseUrl();
    }
  }

  @ParameterizedTest(name = "OLLAMA_HOST={0}")
  @CsvSource(delimiter = '|', nullValues = "NULL", value = {
      "NULL                     | http://127.0.0.1:11434/",
      "''                       | http://127.0.0.1:11434/",
      "1.2.3.4                  | http://1.2.3.4:11434/",
      ":1234                    | http://127.0.0.1:1234/",
      "example.com:56789/path/  | http://example.com:56789/path/",
      "http://1.2.3.4           | http://1.2.3.4/",
      "https://1.2.3.4          | https://1.2.3.4/",
      "ollama.com               | https://ollama.com/",
      "0.0.0.0                  | http://127.0.0.1:11434/",
      "[::]                     | http://[::1]:11434/",
      "::1                      | http://[::1]:11434/",
      "'\"1.2.3.4\"'            | http://1.2.3.4:11434/",
      "' 1.2.3.4 '              | http://1.2.3.4:11434/",
      "https://host.example/ollama | https://host.example/ollama/",
  })
  void ollamaHostIsParsedLikeOllamasGoClient(String host, String expected) {
    assertThat(baseUrlFor(host)).isEqualTo(expected);
  }

  static RecordedRequest callWith(Map<String, String> env) throws Exception {
    try (MockWebServer server = new MockWebServer()) {
      server.start();
      env.put("OLLAMA_HOST", server.url("/").toString());
      server.enqueue(new MockResponse().setBody("{\"models\":[]}"));
      try (OllamaClient client = EnvConfig.apply(OllamaClient.builder(), env::get).build()) {
        client.listModels();
      }
      return server.takeRequest();
    }
  }

  @Test
  void apiKeyIsSentAsBearerByDefault() throws Exception {
    Map<String, String> env = new HashMap<>(Map.of("OLLAMA_API_KEY", "k1"));
    assertThat(callWith(env).getHeader("Authorization")).isEqualTo("Bearer k1");
  }

  @Test
  void apiKeyHeaderSendsTheRawKeyInThatHeader() throws Exception {
    Map<String, String> env = new HashMap<>(Map.of("OLLAMA_API_KEY", "k2", "OLLAMA_API_KEY_HEADER", "X-API-Key"));
    RecordedRequest request = callWith(env);
    assertThat(request.getHeader("X-API-Key")).isEqualTo("k2");
    assertThat(request.getHeader("Authorization")).isNull();
  }

  @Test
  void noKeyMeansNoCredential() throws Exception {
    RecordedRequest request = callWith(new HashMap<>(Map.of("OLLAMA_API_KEY_HEADER", "X-API-Key")));
    assertThat(request.getHeader("X-API-Key")).isNull();
    assertThat(request.getHeader("Authorization")).isNull();
  }
}
