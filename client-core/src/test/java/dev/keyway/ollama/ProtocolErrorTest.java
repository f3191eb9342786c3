package dev.keyway.ollama;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.keyway.ollama.model.ChatRequest;
import dev.keyway.ollama.model.Message;
import okhttp3.mockwebserver.MockResponse;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Answers that are not Ollama's throw {@link OllamaProtocolException}, never a bare root. */
@Timeout(30)
class ProtocolErrorTest extends MockServerTest {
  static final ChatRequest CHAT = ChatRequest.builder().model("m").addMessage(Message.user("hi")).build();

  @Override
  OllamaClient client(OllamaClient.Builder builder) {
    return builder.maxRetries(0).build();
  }

  @Test
  void errorInA200AnswerIsAProtocolError() {
    server.enqueue(json("{\"error\":\"something odd\"}"));
    assertThatThrownBy(() -> client.chat(CHAT)).isExactlyInstanceOf(OllamaProtocolException.class)
        .hasMessageContaining("something odd");
  }

  @Test
  void nonJsonAnswerIsAProtocolError() {
    server.enqueue(new MockResponse().setHeader("Content-Type", "text/html")
        .setBody("<html><title>Sign in</title></html>"));
    assertThatThrownBy(() -> client.listModels()).isExactlyInstanceOf(OllamaProtocolException.class)
        .hasMessageContaining("Sign in");
  }

  @Test
  void versionAnswerWithoutAVersionIsAProtocolError() {
    server.enqueue(json("{\"name\":\"not ollama\"}"));
    assertThatThrownBy(() -> client.version()).isExactlyInstanceOf(OllamaProtocolException.class);
  }

  @Test
  void redirectThatChangesTheSchemeIsAProtocolError() {
    server.enqueue(new MockResponse().setResponseCode(301).setHeader("Location", "https://elsewhere.example/api/tags"));
    assertThatThrownBy(() -> client.listModels()).isExactlyInstanceOf(OllamaProtocolException.class)
        .hasMessageContaining("redirects");
    assertThat(server.getRequestCount()).isEqualTo(1);
  }
}
