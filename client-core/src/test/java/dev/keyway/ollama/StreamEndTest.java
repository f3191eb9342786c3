package dev.keyway.ollama;

import static org.assertj.core.api.Assertions.assertThat;

import dev.keyway.ollama.model.ChatResponse;
import java.net.Socket;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * After its done chunk, a stream reads its body to the end within a bound (that it does, through
 * Caddy over HTTP/2, is {@code ProxyContract.answersThatStreamAtOnceArriveWholeEveryTime} in the
 * proxies module): a body that does not end is closed, and the answer kept.
 */
@Timeout(value = 30, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class StreamEndTest {

  @Test
  void aBodyThatDoesNotEndAfterTheDoneChunkIsClosedAndTheAnswerKept() throws Exception {
    try (RawHttpServer server = new RawHttpServer();
        OllamaClient client = OllamaClient.builder().baseUrl(server.baseUrl()).maxRetries(0).build()) {
      // the call returns once the response head arrived: open it on another thread
      CompletableFuture<OllamaStream<ChatResponse>> opened =
          CompletableFuture.supplyAsync(() -> client.chatStream(StreamingWireTest.request()));
      Socket s = server.startStream();
      OllamaStream<ChatResponse> stream = opened.get(10, TimeUnit.SECONDS);
      RawHttpServer.chunk(s, StreamingWireTest.token("a"));
      RawHttpServer.chunk(s, StreamingWireTest.DONE);
      // no end of the body: the stream must not wait for one past its bound (the class's timeout
      // would catch a wait as long as the read timeout)
      assertThat(stream.result().message().content()).isEqualTo("a");
      assertThat(RawHttpServer.clientClosed(s, 10_000)).as("the connection given up on").isTrue();
      stream.close();
    }
  }
}
