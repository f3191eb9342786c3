package dev.keyway.ollama;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.keyway.ollama.model.ChatRequest;
import dev.keyway.ollama.model.Message;
import java.util.Locale;
import okhttp3.mockwebserver.MockResponse;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Issue 10 finding 6: error text is redacted before it is cut to 300 characters, so a key echoed
 * near the cut (or upper-cased) leaves none of its characters in a message.
 */
@Timeout(30)
class RedactBeforeCutTest extends MockServerTest {
  // 35 characters, like the key in the finding.
  static final String KEY = "kw-secret-0123456789abcdefghijklmno";
  static final ChatRequest CHAT = ChatRequest.builder().model("m").addMessage(Message.user("hi")).build();

  @Override
  OllamaClient client(OllamaClient.Builder builder) {
    return builder.apiKey(KEY).maxRetries(0).build();
  }

  /** Error text with {@code secret} starting at character 270. */
  static String echoAt270(String secret) {
    return "x".repeat(270) + secret + " and some more text after it";
  }

  static void assertNoPartOfTheKey(String text) {
    assertThat(text.toLowerCase(Locale.ROOT)).doesNotContain("kw-secret").doesNotContain("0123456789");
  }

  @Test
  void errorStatusWithTheKeyNearTheCutLeavesNoneOfIt() {
    server.enqueue(json("{\"error\":\"" + echoAt270(KEY) + "\"}").setResponseCode(500));
    assertThatThrownBy(() -> client.chat(CHAT)).isInstanceOfSatisfying(OllamaHttpException.class, e -> {
      assertNoPartOfTheKey(e.getMessage());
      assertNoPartOfTheKey(e.serverMessage());
      assertThat(e.serverMessage()).contains("[redacted]");
    });
  }

  @Test
  void upperCasedEchoNearTheCutLeavesNoneOfIt() {
    server.enqueue(new MockResponse().setResponseCode(502).setHeader("Content-Type", "text/plain")
        .setBody(echoAt270(KEY.toUpperCase(Locale.ROOT))));
    assertThatThrownBy(() -> client.version()).isInstanceOfSatisfying(OllamaHttpException.class, e -> {
      assertNoPartOfTheKey(e.getMessage());
      assertNoPartOfTheKey(e.serverMessage());
    });
  }

  @Test
  void errorIn200AnswerNearTheCutLeavesNoneOfIt() {
    server.enqueue(json("{\"error\":\"" + echoAt270(KEY) + "\"}"));
    assertThatThrownBy(() -> client.chat(CHAT)).isInstanceOfSatisfying(OllamaProtocolException.class,
        e -> assertNoPartOfTheKey(e.getMessage()));
  }

  @Test
  void nonJsonAnswerNearTheCutLeavesNoneOfIt() {
    server.enqueue(new MockResponse().setHeader("Content-Type", "text/plain").setBody(echoAt270(KEY)));
    assertThatThrownBy(() -> client.version()).isInstanceOfSatisfying(OllamaProtocolException.class,
        e -> assertNoPartOfTheKey(e.getMessage()));
  }

  @Test
  void inStreamErrorNearTheCutLeavesNoneOfIt() {
    server.enqueue(ndjson("{\"error\":\"" + echoAt270(KEY.toUpperCase(Locale.ROOT)) + "\"}\n"));
    try (OllamaStream<?> stream = client.chatStream(CHAT)) {
      assertThatThrownBy(stream::result).isInstanceOfSatisfying(OllamaStreamException.class, e -> {
        assertNoPartOfTheKey(e.getMessage());
        assertNoPartOfTheKey(e.serverMessage());
      });
    }
  }

  @Test
  void keyCutInTwoByTheBodyPeekLeavesNoneOfIt() {
    // An HTML error page whose text is only the key, which straddles the 8 KiB that are read of
    // an error body: tags are dropped, so the key's first characters would land in the message.
    String head = "<html><body>";
    int keyStart = 8 * 1024 - 12;
    String padding = "<b></b>".repeat((keyStart - head.length()) / 7);
    padding += "<".repeat(0) + " ".repeat(keyStart - head.length() - padding.length());
    String body = head + padding + KEY + "</body></html>";
    server.enqueue(new MockResponse().setResponseCode(503).setHeader("Content-Type", "text/html")
        .setBody(body));
    assertThatThrownBy(() -> client.version()).isInstanceOfSatisfying(OllamaHttpException.class, e -> {
      assertNoPartOfTheKey(e.getMessage());
      assertThat(e.getMessage().toLowerCase(Locale.ROOT)).doesNotContain("kw-sec");
    });
  }
}
