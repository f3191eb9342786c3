package dev.keyway.samples.chatweb;

import static dev.keyway.samples.chatweb.Http.assertNoKey;
import static dev.keyway.samples.chatweb.Http.chatBody;
import static dev.keyway.samples.chatweb.Http.events;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.http.HttpResponse;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/** Nothing listens where Ollama should be: the page is told to check the setting, the log says where the app looked. */
@ExtendWith(OutputCaptureExtension.class)
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
    properties = {"keyway.demo=false", "ollama.retry.max-retries=0"})
class ServerDownTest {
  static final String KEY = Http.newKey("kw-secret-down-");
  static final int CLOSED_PORT = closedPort();

  static int closedPort() {
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return socket.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @DynamicPropertySource
  static void ollama(DynamicPropertyRegistry registry) {
    registry.add("ollama.base-url", () -> "http://127.0.0.1:" + CLOSED_PORT);
    registry.add("ollama.api-key", () -> KEY);
  }

  @LocalServerPort int port;

  @Test
  void theRouteSaysOllamaIsUnreachableButNotWhereTheLogDoes(CapturedOutput output) {
    HttpResponse<String> response =
        Http.postJson("http://127.0.0.1:" + port + "/api/chat", chatBody(null, "hi"));

    assertThat(response.statusCode()).isEqualTo(502);
    assertThat(events(response)).containsExactly(Map.of("type", "error", "message",
        "Ollama is unreachable — is it running? (set OLLAMA_HOST or ollama.base-url)"
            + " The server's log has the details."));
    assertThat(response.body()).doesNotContain(String.valueOf(CLOSED_PORT));
    assertNoKey(response, KEY);
    // The operator learns where: the server's log names the address.
    assertThat(output.getAll()).contains("Chat with model 'llama3.2' failed").contains(":" + CLOSED_PORT);
  }
}
