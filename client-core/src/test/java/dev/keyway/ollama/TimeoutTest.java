package dev.keyway.ollama;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.keyway.ollama.model.ChatRequest;
import dev.keyway.ollama.model.ChatResponse;
import dev.keyway.ollama.model.Message;
import java.net.Socket;
import java.time.Duration;
import java.util.Iterator;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import okhttp3.mockwebserver.MockResponse;
import okhttp3.mockwebserver.MockWebServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Read timeout bounds silence (first byte and gaps), per client and per call. */
class TimeoutTest {
  static final ChatRequest CHAT = ChatRequest.builder().model("m").addMessage(Message.user("hi")).build();
  static final String TOKEN = "{\"model\":\"m\",\"message\":{\"role\":\"assistant\",\"content\":\"a\"},\"done\":false}\n";
  static final String DONE = "{\"model\":\"m\",\"message\":{\"role\":\"assistant\",\"content\":\"\"},\"done\":true}\n";

  MockWebServer server;

  @BeforeEach
  void setUp() throws Exception {
    server = new MockWebServer();
    server.start();
  }

  @AfterEach
  void tearDown() throws Exception {
    server.shutdown();
  }

  @Test
  void slowFirstByteWithinTheReadTimeoutSucceeds() {
    server.enqueue(new MockResponse().setHeadersDelay(300, TimeUnit.MILLISECONDS).setBody(TOKEN + DONE)
        .setHeader("Content-Type", "application/x-ndjson"));
    try (OllamaClient client = OllamaClient.builder().baseUrl(server.url("/").toString())
        .readTimeout(Duration.ofSeconds(5)).build();
        OllamaStream<ChatResponse> stream = client.chatStream(CHAT)) {
      assertThat(stream.result().done()).isTrue();
    }
  }

  @Test
  void gapLongerThanTheReadTimeoutMidStreamFails() {
    // 1 token, then the rest of the body trickles after a pause longer than the read timeout.
    server.enqueue(new MockResponse().setHeader("Content-Type", "application/x-ndjson")
        .setBody(TOKEN + DONE).throttleBody(TOKEN.length(), 2, TimeUnit.SECONDS));
    try (OllamaClient client = OllamaClient.builder().baseUrl(server.url("/").toString())
        .readTimeout(Duration.ofMillis(300)).maxRetries(0).build();
        OllamaStream<ChatResponse> stream = client.chatStream(CHAT)) {
      Iterator<ChatResponse> it = stream.iterator();
      assertThat(it.next().message().content()).isEqualTo("a");
      assertThatThrownBy(it::hasNext)
          .isInstanceOf(OllamaTransportException.class)
          .hasMessageContaining("Timed out reading")
          .hasMessageContaining("after 1 chunk(s)");
    }
  }

  @Test
  void perCallReadTimeoutOverridesTheClients() {
    server.enqueue(new MockResponse().setHeadersDelay(1, TimeUnit.SECONDS).setBody(DONE));
    try (OllamaClient client = OllamaClient.builder().baseUrl(server.url("/").toString())
        .readTimeout(Duration.ofMinutes(5)).maxRetries(0).build()) {
      assertThatThrownBy(() -> client.chat(CHAT,
              RequestOptions.builder().readTimeout(Duration.ofMillis(200)).build()))
          .isInstanceOf(OllamaTransportException.class)
          .hasMessageContaining("Timed out");
    }
  }

  @Test
  void perCallReadTimeoutAlsoBoundsTheGapsOfAStream() {
    server.enqueue(new MockResponse().setHeader("Content-Type", "application/x-ndjson")
        .setBody(TOKEN + DONE).throttleBody(TOKEN.length(), 2, TimeUnit.SECONDS));
    try (OllamaClient client = OllamaClient.builder().baseUrl(server.url("/").toString())
        .readTimeout(Duration.ofMinutes(5)).maxRetries(0).build();
        OllamaStream<ChatResponse> stream = client.chatStream(CHAT,
            RequestOptions.builder().readTimeout(Duration.ofMillis(300)).build())) {
      long start = System.nanoTime();
      assertThatThrownBy(stream::result).isInstanceOf(OllamaTransportException.class)
          .hasMessageContaining("Timed out reading");
      assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofMillis(1900));
    }
  }

  @Test
  void aCallerSlowerThanTheReadTimeoutIsNotATimeout() throws Exception {
    // The timeout is the server's silence while the client waits, not the caller's pauses. Each
    // line is sent only after the caller's pause, so every next() needs its own socket read: a
    // client that counted the caller's time would hang up during the pause and fail that read.
    try (RawHttpServer raw = new RawHttpServer();
        OllamaClient client = OllamaClient.builder().baseUrl(raw.baseUrl())
            .readTimeout(Duration.ofMillis(200)).maxRetries(0).build()) {
      CompletableFuture<OllamaStream<ChatResponse>> opening =
          CompletableFuture.supplyAsync(() -> client.chatStream(CHAT));
      Socket s = raw.startStream();
      try (OllamaStream<ChatResponse> stream = opening.get(10, TimeUnit.SECONDS)) {
        Iterator<ChatResponse> it = stream.iterator();
        RawHttpServer.chunk(s, TOKEN);
        assertThat(it.next().message().content()).isEqualTo("a");
        // The caller is busy for three read timeouts; the client must keep the connection.
        assertThat(RawHttpServer.clientClosed(s, 600)).as("client hung up during the caller's pause").isFalse();
        RawHttpServer.chunk(s, TOKEN);
        assertThat(it.next().message().content()).isEqualTo("a");
        assertThat(RawHttpServer.clientClosed(s, 600)).as("client hung up during the caller's pause").isFalse();
        RawHttpServer.chunk(s, DONE);
        assertThat(it.next().done()).isTrue();
      }
    }
  }

  @Test
  void callTimeoutBoundsTheWholeCall() {
    server.enqueue(new MockResponse().setHeader("Content-Type", "application/x-ndjson")
        .setBody(TOKEN + TOKEN + TOKEN + DONE).throttleBody(TOKEN.length(), 400, TimeUnit.MILLISECONDS));
    try (OllamaClient client = OllamaClient.builder().baseUrl(server.url("/").toString())
        .callTimeout(Duration.ofMillis(600)).maxRetries(0).build();
        OllamaStream<ChatResponse> stream = client.chatStream(CHAT)) {
      assertThatThrownBy(stream::result).isInstanceOf(OllamaTransportException.class);
    }
  }
}
