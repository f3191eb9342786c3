package dev.keyway.ollama;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.keyway.ollama.model.ChatRequest;
import dev.keyway.ollama.model.ChatResponse;
import dev.keyway.ollama.model.Message;
import java.net.Socket;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The handler API: chunks in order, one terminal callback, cancel reaches the server. */
@Timeout(value = 30, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class AsyncStreamTest {
  static final ChatRequest CHAT = ChatRequest.builder().model("m").addMessage(Message.user("hi")).build();

  RawHttpServer server;
  OllamaClient client;

  @BeforeEach
  void setUp() throws Exception {
    server = new RawHttpServer();
    client = OllamaClient.builder().baseUrl(server.baseUrl()).maxRetries(0).build();
  }

  @AfterEach
  void tearDown() throws Exception {
    client.close();
    server.close();
  }

  static final class Recorder implements StreamHandler<ChatResponse> {
    final List<String> tokens = new CopyOnWriteArrayList<>();
    final CompletableFuture<ChatResponse> completed = new CompletableFuture<>();
    final AtomicReference<OllamaException> error = new AtomicReference<>();
    final CountDownLatch first = new CountDownLatch(1);

    @Override
    public void onNext(ChatResponse chunk) {
      tokens.add(chunk.message().content());
      first.countDown();
    }

    @Override
    public void onComplete(ChatResponse result) {
      completed.complete(result);
    }

    @Override
    public void onError(OllamaException e) {
      error.set(e);
    }
  }

  @Test
  void deliversChunksThenCompletesWithTheWhole() throws Exception {
    Recorder recorder = new Recorder();
    StreamHandle<ChatResponse> handle = client.chatStream(CHAT, recorder);
    Socket s = server.startStream();
    RawHttpServer.chunk(s, StreamingWireTest.token("Hi"));
    assertThat(recorder.first.await(5, TimeUnit.SECONDS)).isTrue();
    RawHttpServer.chunk(s, StreamingWireTest.token(" there") + StreamingWireTest.DONE);
    RawHttpServer.end(s);
    assertThat(recorder.completed.get(5, TimeUnit.SECONDS).message().content()).isEqualTo("Hi there");
    assertThat(handle.future().get(5, TimeUnit.SECONDS).message().content()).isEqualTo("Hi there");
    assertThat(recorder.tokens).containsExactly("Hi", " there", "");
    assertThat(recorder.error.get()).isNull();
    assertThat(handle.isDone()).isTrue();
  }

  @Test
  void errorReachesOnErrorAndTheFuture() throws Exception {
    Recorder recorder = new Recorder();
    StreamHandle<ChatResponse> handle = client.chatStream(CHAT, recorder);
    Socket s = server.startStream();
    RawHttpServer.chunk(s, StreamingWireTest.token("Hi") + "{\"error\":\"out of memory\"}\n");
    RawHttpServer.end(s);
    assertThatThrownBy(() -> handle.future().get(5, TimeUnit.SECONDS))
        .isInstanceOf(ExecutionException.class)
        .hasCauseInstanceOf(OllamaStreamException.class);
    assertThat(recorder.error.get()).isInstanceOf(OllamaStreamException.class).hasMessageContaining("out of memory");
    assertThat(recorder.completed).isNotDone();
    assertThat(recorder.tokens).containsExactly("Hi");
  }

  @Test
  void cancelStopsTheCallAndTheServerSeesTheDisconnect() throws Exception {
    Recorder recorder = new Recorder();
    StreamHandle<ChatResponse> handle = client.chatStream(CHAT, recorder);
    Socket s = server.startStream();
    RawHttpServer.chunk(s, StreamingWireTest.token("Hi"));
    assertThat(recorder.first.await(5, TimeUnit.SECONDS)).isTrue();
    handle.cancel();
    assertThat(RawHttpServer.clientClosed(s, 5000)).isTrue();
    assertThat(handle.future()).isCancelled();
    assertThat(handle.isDone()).isTrue();
    // The worker sees its read fail after the cancel: that must reach neither handler method.
    Await.holdsFor("no onError or onComplete after cancel", java.time.Duration.ofMillis(200),
        () -> recorder.error.get() == null && !recorder.completed.isDone());
  }

  @Test
  void handlerExceptionCancelsTheStreamAndFailsTheFuture() throws Exception {
    StreamHandle<ChatResponse> handle = client.chatStream(CHAT, chunk -> {
      throw new IllegalStateException("handler bug");
    });
    Socket s = server.startStream();
    RawHttpServer.chunk(s, StreamingWireTest.token("Hi"));
    assertThatThrownBy(() -> handle.future().get(5, TimeUnit.SECONDS))
        .hasCauseInstanceOf(IllegalStateException.class);
    assertThat(RawHttpServer.clientClosed(s, 5000)).isTrue();
  }

  @Test
  void closingTheClientCancelsRunningStreams() throws Exception {
    Recorder recorder = new Recorder();
    StreamHandle<ChatResponse> handle = client.chatStream(CHAT, recorder);
    Socket s = server.startStream();
    RawHttpServer.chunk(s, StreamingWireTest.token("Hi"));
    assertThat(recorder.first.await(5, TimeUnit.SECONDS)).isTrue();
    client.close();
    assertThat(RawHttpServer.clientClosed(s, 5000)).isTrue();
    assertThat(handle.isDone()).isTrue();
    assertThatThrownBy(() -> client.chatStream(CHAT, recorder)).isInstanceOf(IllegalStateException.class);
  }
}
