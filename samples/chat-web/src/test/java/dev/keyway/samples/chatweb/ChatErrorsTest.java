package dev.keyway.samples.chatweb;

import static org.assertj.core.api.Assertions.assertThat;

import dev.keyway.ollama.OllamaClient;
import dev.keyway.ollama.testkit.OllamaStandIn;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.springframework.mock.web.MockHttpServletResponse;

/** What the page shows for a wrong key, a missing model and a server that is down. */
class ChatErrorsTest {

  static String chatThrough(OllamaClient client, String model) throws Exception {
    ChatController controller = new ChatController(client, false, model);
    MockHttpServletResponse response = new MockHttpServletResponse();
    controller.chat(new ChatController.ChatInput("hi", null), response);
    return response.getContentAsString(StandardCharsets.UTF_8);
  }

  @Test
  void wrongKey() throws Exception {
    try (OllamaStandIn ollama = OllamaStandIn.builder().requireApiKey("right").build();
        OllamaClient client = OllamaClient.builder().baseUrl(ollama.baseUrl()).apiKey("wrong-key-77").build()) {
      String body = chatThrough(client, "llama3.2");
      assertThat(body).contains("\"type\":\"error\"").contains("credential was rejected")
          .contains("ollama.api-key").doesNotContain("wrong-key-77");
    }
  }

  @Test
  void missingModel() throws Exception {
    try (OllamaStandIn ollama = OllamaStandIn.builder().build();
        OllamaClient client = OllamaClient.builder().baseUrl(ollama.baseUrl()).build()) {
      assertThat(chatThrough(client, "qwen9:huge")).contains("Model 'qwen9:huge' is not available")
          .contains("ollama pull qwen9:huge");
    }
  }

  @Test
  void serverDown() throws Exception {
    try (OllamaClient client = OllamaClient.builder().baseUrl("http://127.0.0.1:1").maxRetries(0).build()) {
      assertThat(chatThrough(client, "llama3.2")).contains("Ollama is unreachable at http://127.0.0.1:1/");
    }
  }
}
