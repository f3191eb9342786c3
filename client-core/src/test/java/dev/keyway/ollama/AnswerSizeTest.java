package dev.keyway.ollama;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.keyway.ollama.model.ChatRequest;
import dev.keyway.ollama.model.ChatResponse;
import dev.keyway.ollama.model.Message;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.zip.GZIPOutputStream;
import okhttp3.mockwebserver.MockResponse;
import okhttp3.mockwebserver.MockWebServer;
import okhttp3.mockwebserver.RecordedRequest;
import okio.Buffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 10 finding 11: a hostile proxy cannot make the client hold much. Every request asks for
 * {@code Accept-Encoding: identity}, so a gzip bomb is never inflated; a non-streamed answer and a
 * stream's joined result are bounded by {@code maxAnswerSize}.
 */
@Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class AnswerSizeTest {
  static final ChatRequest CHAT = ChatRequest.builder().model("m").addMessage(Message.user("hi")).build();

  /** About 330 KB of gzip that inflates to 320 MiB. */
  static byte[] gzipBomb() throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (GZIPOutputStream gz = new GZIPOutputStream(out, 64 * 1024)) {
      byte[] zeros = new byte[1024 * 1024];
      for (int i = 0; i < 320; i++) {
        gz.write(zeros);
      }
    }
    return out.toByteArray();
  }

  static MockResponse gzipped(String contentType, byte[] gzip) {
    return new MockResponse().setHeader("Content-Type", contentType)
        .setHeader("Content-Encoding", "gzip").setBody(new Buffer().write(gzip));
  }

  @Test
  void gzipBombIsNeitherAskedForNorInflated() throws Exception {
    byte[] bomb = gzipBomb();
    assertThat(bomb.length).isLessThan(400_000);
    try (MockWebServer server = new MockWebServer()) {
      server.enqueue(gzipped("application/json", bomb));
      server.enqueue(gzipped("application/x-ndjson", bomb));
      try (OllamaClient client = OllamaClient.builder().baseUrl(server.url("/").toString())
          .maxRetries(0).build()) {
        assertThatThrownBy(client::version).isInstanceOf(OllamaProtocolException.class);
        try (OllamaStream<ChatResponse> stream = client.chatStream(CHAT)) {
          assertThatThrownBy(stream::result).isInstanceOf(OllamaStreamException.class);
        }
      }
      for (int i = 0; i < 2; i++) {
        assertThat(server.takeRequest(5, TimeUnit.SECONDS).getHeader("Accept-Encoding")).isEqualTo("identity");
      }
    }
  }

  @Test
  void everyRequestAsksForAnUncompressedAnswer(@TempDir Path dir) throws Exception {
    Path file = Files.writeString(dir.resolve("adapter.bin"), "weights");
    try (MockWebServer server = new MockWebServer()) {
      String ok = "{\"status\":\"success\"}\n";
      server.enqueue(new MockResponse());                       // copy
      server.enqueue(new MockResponse());                       // delete
      server.enqueue(new MockResponse().setResponseCode(404));  // blobExists in uploadBlob
      server.enqueue(new MockResponse().setResponseCode(201));  // upload
      server.enqueue(new MockResponse().setHeader("Content-Type", "application/x-ndjson").setBody(ok)); // pull
      server.enqueue(new MockResponse().setHeader("Content-Type", "application/json")
          .setBody("{\"models\":[]}"));                         // list
      try (OllamaClient client = OllamaClient.builder().baseUrl(server.url("/").toString())
          .maxRetries(0).build()) {
        client.models().copy("a", "b");
        client.models().delete("a");
        client.models().uploadBlob(file);
        client.models().pull("m");
        client.models().list();
      }
      for (int i = 0; i < 6; i++) {
        RecordedRequest request = server.takeRequest(5, TimeUnit.SECONDS);
        assertThat(request.getHeader("Accept-Encoding")).as(request.getRequestLine()).isEqualTo("identity");
      }
    }
  }

  @Test
  void nonStreamedAnswerLargerThanTheBoundIsRefused() throws Exception {
    String big = "{\"version\":\"" + "9".repeat(200_000) + "\"}";
    try (MockWebServer server = new MockWebServer()) {
      server.enqueue(new MockResponse().setHeader("Content-Type", "application/json").setBody(big));
      server.enqueue(new MockResponse().setHeader("Content-Type", "application/json").setChunkedBody(big, 4096));
      try (OllamaClient client = OllamaClient.builder().baseUrl(server.url("/").toString())
          .maxRetries(0).maxAnswerSize(64 * 1024).build()) {
        assertThatThrownBy(client::version).isInstanceOf(OllamaProtocolException.class)
            .hasMessageContaining("maxAnswerSize");
        assertThatThrownBy(client::version).isInstanceOf(OllamaProtocolException.class)
            .hasMessageContaining("maxAnswerSize");
      }
    }
  }

  @Test
  void endlessStreamCannotGrowTheJoinedResultPastTheBound() throws Exception {
    try (RawHttpServer server = new RawHttpServer();
        OllamaClient client = OllamaClient.builder().baseUrl(server.baseUrl()).maxRetries(0)
            .maxAnswerSize(64 * 1024).build()) {
      CompletableFuture<Integer> writer = CompletableFuture.supplyAsync(() -> {
        int sent = 0;
        try {
          Socket s = server.startStream();
          String line = StreamingWireTest.token("x".repeat(1000));
          while (true) { // until the client goes away
            RawHttpServer.chunk(s, line);
            sent++;
          }
        } catch (Exception clientGone) {
          return sent;
        }
      });
      try (OllamaStream<ChatResponse> stream = client.chatStream(CHAT)) {
        assertThatThrownBy(stream::result).isInstanceOfSatisfying(OllamaStreamException.class,
            e -> assertThat(e.chunksReceived()).isBetween(60, 70));
      }
      assertThat(writer.get(20, TimeUnit.SECONDS)).as("the server saw the client go").isPositive();
    }
  }

  @Test
  void aStreamUnderTheBoundIsJoinedAsBefore() throws Exception {
    try (MockWebServer server = new MockWebServer()) {
      server.enqueue(new MockResponse().setHeader("Content-Type", "application/x-ndjson")
          .setBody(StreamingWireTest.token("Hi") + StreamingWireTest.token(" there") + StreamingWireTest.DONE));
      try (OllamaClient client = OllamaClient.builder().baseUrl(server.url("/").toString())
          .maxRetries(0).maxAnswerSize(64).build();
          OllamaStream<ChatResponse> stream = client.chatStream(CHAT)) {
        assertThat(stream.result().message().content()).isEqualTo("Hi there");
      }
    }
  }
}
