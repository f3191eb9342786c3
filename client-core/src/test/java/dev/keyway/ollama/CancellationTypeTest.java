package dev.keyway.ollama;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.keyway.ollama.model.ChatRequest;
import dev.keyway.ollama.model.ChatResponse;
import dev.keyway.ollama.model.Message;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketAddress;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.SocketFactory;
import okhttp3.OkHttpClient;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Issue 11 defect 3: cancellation is a type ({@link OllamaCancelledException}), filed by metrics as
 * {@code cancelled}; answers that are not Ollama's are {@link OllamaProtocolException}; a connect
 * timeout is told from a read timeout by where the attempt got to, not by message text.
 */
@Timeout(value = 30, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class CancellationTypeTest {
  static final ChatRequest CHAT = ChatRequest.builder().model("m").addMessage(Message.user("hi")).build();

  @Test
  void cancellingAnAsyncStreamWaitingForHeadersIsFiledAsCancelled() throws Exception {
    BlockingQueue<OllamaCallEvent> events = new LinkedBlockingQueue<>();
    try (ServerSocket silent = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        OllamaClient client = OllamaClient.builder()
            .baseUrl("http://127.0.0.1:" + silent.getLocalPort()).maxRetries(0)
            .listener(events::add).build()) {
      CompletableFuture<Socket> accepted = CompletableFuture.supplyAsync(() -> {
        try {
          return silent.accept(); // accepts, reads nothing, never answers
        } catch (IOException e) {
          throw new IllegalStateException(e);
        }
      });
      StreamHandle<ChatResponse> handle = client.chatStream(CHAT, new StreamHandler<>() {
        @Override
        public void onNext(ChatResponse chunk) {}

        @Override
        public void onError(OllamaException e) {}
      });
      try (Socket connection = accepted.get(10, TimeUnit.SECONDS)) {
        handle.cancel();
        OllamaCallEvent event = events.poll(10, TimeUnit.SECONDS);
        assertThat(event).as("a call event").isNotNull();
        assertThat(event.outcome()).isEqualTo(OllamaCallEvent.OUTCOME_CANCELLED);
        assertThat(handle.future()).isCancelled();
      }
    }
  }

  @Test
  void closingAStreamWhileAnotherThreadWaitsForItsResultIsACancellation() throws Exception {
    try (RawHttpServer server = new RawHttpServer();
        OllamaClient client = OllamaClient.builder().baseUrl(server.baseUrl()).maxRetries(0).build()) {
      CompletableFuture<Socket> started = CompletableFuture.supplyAsync(() -> {
        try {
          return server.startStream();
        } catch (Exception e) {
          throw new IllegalStateException(e);
        }
      });
      OllamaStream<ChatResponse> stream = client.chatStream(CHAT);
      Socket s = started.get(10, TimeUnit.SECONDS);
      RawHttpServer.chunk(s, StreamingWireTest.token("Hi"));
      CompletableFuture<Thread> waiter = new CompletableFuture<>();
      CompletableFuture<Throwable> outcome = CompletableFuture.supplyAsync(() -> {
        waiter.complete(Thread.currentThread());
        try {
          stream.result(); // reads "Hi", then waits for a done chunk that never comes
          return null;
        } catch (Throwable t) {
          return t;
        }
      });
      Thread reader = waiter.get(10, TimeUnit.SECONDS);
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
      while (!insideResult(reader)) { // a condition with a deadline, not a sleep
        assertThat(System.nanoTime()).as("reader inside result()").isLessThan(deadline);
        Thread.onSpinWait();
      }
      stream.close();
      assertThat(outcome.get(10, TimeUnit.SECONDS)).isExactlyInstanceOf(OllamaCancelledException.class);
    }
  }

  /** Whether {@code t} is reading the body from within {@code result()}. */
  static boolean insideResult(Thread t) {
    boolean reading = false;
    for (StackTraceElement frame : t.getStackTrace()) {
      if (frame.getClassName().endsWith("NdjsonStream") && frame.getMethodName().equals("readChunk")) {
        reading = true;
      }
      if (reading && frame.getClassName().endsWith("NdjsonStream") && frame.getMethodName().equals("result")) {
        return true;
      }
    }
    return false;
  }

  @Test
  void cancelledExceptionsAreFiledAsCancelledByMetrics() {
    assertThat(OllamaCallEvent.outcomeOf(new OllamaCancelledException("cancelled", null)))
        .isEqualTo(OllamaCallEvent.OUTCOME_CANCELLED);
    assertThat(OllamaCallEvent.outcomeOf(new OllamaProtocolException("not Ollama", null)))
        .isEqualTo(OllamaCallEvent.OUTCOME_STREAM_ERROR);
  }

  @Test
  void aTimeoutBeforeTheConnectionIsAConnectTimeoutWhateverItsMessage() {
    // A socket whose connect always times out, with a message that is not the JDK's.
    AtomicInteger connects = new AtomicInteger();
    SocketFactory timingOut = new SocketFactory() {
      @Override
      public Socket createSocket() {
        return new Socket() {
          @Override
          public void connect(SocketAddress endpoint, int timeout) throws IOException {
            connects.incrementAndGet();
            throw new SocketTimeoutException("some other wording");
          }
        };
      }

      @Override
      public Socket createSocket(String host, int port) {
        throw new UnsupportedOperationException();
      }

      @Override
      public Socket createSocket(String host, int port, InetAddress localHost, int localPort) {
        throw new UnsupportedOperationException();
      }

      @Override
      public Socket createSocket(InetAddress host, int port) {
        throw new UnsupportedOperationException();
      }

      @Override
      public Socket createSocket(InetAddress address, int port, InetAddress localAddress, int localPort) {
        throw new UnsupportedOperationException();
      }
    };
    try (OllamaClient client = OllamaClient.builder().baseUrl("http://127.0.0.1:9")
        .okHttpClient(new OkHttpClient.Builder().socketFactory(timingOut).build())
        .maxRetries(2).retryBackoff(Duration.ofMillis(1), Duration.ofMillis(2)).build()) {
      assertThatThrownBy(client::version).isInstanceOf(OllamaTransportException.class)
          .hasMessageContaining("Timed out connecting");
      assertThat(connects).as("connect timeouts are retried").hasValue(3);
    }
  }

  @Test
  void aTimeoutAfterTheConnectionIsAReadTimeoutAndIsNotRetried() throws Exception {
    try (ServerSocket silent = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        OllamaClient client = OllamaClient.builder()
            .baseUrl("http://127.0.0.1:" + silent.getLocalPort())
            .readTimeout(Duration.ofMillis(200))
            .maxRetries(2).retryBackoff(Duration.ofMillis(1), Duration.ofMillis(2)).build()) {
      AtomicInteger accepted = new AtomicInteger();
      CountDownLatch stop = new CountDownLatch(1);
      Thread acceptor = new Thread(() -> {
        try {
          while (true) {
            Socket ignored = silent.accept(); // connected, never answered
            accepted.incrementAndGet();
          }
        } catch (IOException closed) {
          stop.countDown();
        }
      });
      acceptor.setDaemon(true);
      acceptor.start();
      assertThatThrownBy(client::version).isInstanceOf(OllamaTransportException.class)
          .hasMessageContaining("Timed out reading");
      assertThat(accepted).as("a read timeout is not retried").hasValue(1);
    }
  }
}
