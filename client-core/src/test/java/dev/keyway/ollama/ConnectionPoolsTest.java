package dev.keyway.ollama;

import static org.assertj.core.api.Assertions.assertThat;

import dev.keyway.ollama.testkit.OllamaStandInExtension;
import dev.keyway.ollama.testkit.RecordedRequest;
import dev.keyway.ollama.testkit.ScriptedModel;
import java.util.Set;
import java.util.stream.Collectors;
import okhttp3.ConnectionPool;
import okhttp3.OkHttpClient;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A client that owns its connections spreads them over several OkHttp pools only under many open
 * calls (see {@code internal.PoolsTest}): calls in turn reuse one connection, and a client built
 * on the caller's {@link OkHttpClient} keeps using that client's one pool.
 */
class ConnectionPoolsTest {
  static final String KEY = "kw-secret-pools-4242";

  @RegisterExtension
  final OllamaStandInExtension ollama = OllamaStandInExtension.with(b -> b
      .requireApiKey(KEY).model(ScriptedModel.named("llama3.2").answer("Blue.")));

  @Test
  void callsInTurnReuseOneConnection() {
    try (OllamaClient client = OllamaClient.builder().baseUrl(ollama.standIn().baseUrl()).apiKey(KEY).build()) {
      for (int i = 0; i < 200; i++) {
        assertThat(client.version()).isNotBlank();
      }
    }
    assertThat(ollama.standIn().requests()).hasSize(200);
    assertThat(connections()).as("connections opened for 200 calls in turn").hasSize(1);
  }

  @Test
  void aCallersOwnOkHttpClientKeepsItsSinglePool() {
    ConnectionPool pool = new ConnectionPool();
    OkHttpClient own = new OkHttpClient.Builder().connectionPool(pool).build();
    try (OllamaClient client = OllamaClient.builder().baseUrl(ollama.standIn().baseUrl()).apiKey(KEY)
        .okHttpClient(own).build()) {
      for (int i = 0; i < 50; i++) {
        assertThat(client.version()).isNotBlank();
      }
      assertThat(pool.connectionCount()).as("connections in the caller's pool").isEqualTo(1);
    } finally {
      pool.evictAll();
    }
    assertThat(connections()).as("connections opened for 50 calls in turn").hasSize(1);
  }

  private Set<Integer> connections() {
    return ollama.standIn().requests().stream().map(RecordedRequest::connectionIndex).collect(Collectors.toSet());
  }
}
