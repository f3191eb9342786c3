package dev.keyway.ollama.spring.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.core.env.Environment;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * A browser that stops reading while Ollama streams as fast as it can: the gateway must pass the
 * backpressure on (its writes block, so it stops reading upstream) instead of buffering the
 * stream; when the browser goes away, the upstream call is cancelled. The upstream here floods a
 * 1 GiB stream and counts what it managed to write.
 */
@SpringBootTest(classes = GatewayFixture.App.class, webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
    properties = "ollama.gateway.enabled=true")
class GatewaySlowReaderTest extends GatewayFixture {
  static final long STREAM_BYTES = 1L << 30;
  static final FloodingUpstream UPSTREAM = new FloodingUpstream();


  @DynamicPropertySource
  static void upstream(DynamicPropertyRegistry registry) {
    upstream(registry, () -> "http://127.0.0.1:" + UPSTREAM.port(), "kw-secret-slow-reader");
  }

  @AfterAll
  static void stop() throws IOException {
    UPSTREAM.close();
  }


  @Test
  void aStalledBrowserHoldsBackTheUpstreamAndItsDisconnectCancelsIt() throws Exception {
    int port = port();
    String body = "{\"model\":\"llama3.2\",\"messages\":[{\"role\":\"user\",\"content\":\"go\"}]}";
    long plateau;
    try (Socket browser = new Socket("127.0.0.1", port)) {
      browser.setReceiveBufferSize(64 * 1024);
      OutputStream out = browser.getOutputStream();
      out.write(("POST /ollama/api/chat HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
          + "Content-Length: " + body.length() + "\r\n\r\n" + body).getBytes(StandardCharsets.US_ASCII));
      out.flush();
      InputStream in = browser.getInputStream();
      assertThat(in.readNBytes(64 * 1024)).hasSize(64 * 1024); // the stream is flowing
      // Then the browser reads nothing. The upstream must stall at socket-buffer depth.
      plateau = awaitPlateau(UPSTREAM.written);
      System.out.printf("[slow reader] upstream wrote %.1f MiB of a %d MiB stream before stalling%n",
          plateau / 1048576.0, STREAM_BYTES >> 20);
      assertThat(plateau).as("bytes upstream could write while the browser read nothing")
          .isLessThan(64L * 1024 * 1024);
    }
    // The browser closed its socket: the gateway's next write fails and cancels the upstream call.
    Throwable upstreamEnd = UPSTREAM.ended.get(30, TimeUnit.SECONDS);
    assertThat(upstreamEnd).as("the upstream connection was closed by the gateway").isInstanceOf(IOException.class);
    assertThat(UPSTREAM.written.get()).isLessThan(STREAM_BYTES);
  }

  /** Waits until {@code counter} has not moved for a second; returns its value then. */
  private static long awaitPlateau(AtomicLong counter) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    long last = -1;
    while (System.nanoTime() < deadline) {
      long now = counter.get();
      if (now == last) {
        return now;
      }
      last = now;
      Thread.sleep(1000);
    }
    return counter.get();
  }

  /** One-shot upstream: answers the first request with an endless NDJSON stream, as fast as TCP allows. */
  static final class FloodingUpstream implements AutoCloseable {
    final ServerSocket server;
    final AtomicLong written = new AtomicLong();
    final CompletableFuture<Throwable> ended = new CompletableFuture<>();

    FloodingUpstream() {
      try {
        server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
      } catch (IOException e) {
        throw new IllegalStateException(e);
      }
      Thread thread = new Thread(this::serve, "flooding-upstream");
      thread.setDaemon(true);
      thread.start();
    }

    int port() {
      return server.getLocalPort();
    }

    private void serve() {
      try (Socket socket = server.accept()) {
        InputStream in = socket.getInputStream();
        String head = readHead(in);
        int length = Integer.parseInt(head.replaceAll("(?is).*content-length: *(\\d+).*", "$1"));
        in.readNBytes(length);
        OutputStream out = socket.getOutputStream();
        out.write(("HTTP/1.1 200 OK\r\nContent-Type: application/x-ndjson\r\nTransfer-Encoding: chunked\r\n\r\n")
            .getBytes(StandardCharsets.US_ASCII));
        byte[] line = ("{\"model\":\"llama3.2\",\"created_at\":\"2026-11-25T00:00:00Z\",\"message\":{\"role\":"
            + "\"assistant\",\"content\":\"" + "x".repeat(900) + "\"},\"done\":false}\n").getBytes(StandardCharsets.UTF_8);
        byte[] chunk = (Integer.toHexString(line.length) + "\r\n" + new String(line, StandardCharsets.UTF_8) + "\r\n")
            .getBytes(StandardCharsets.UTF_8);
        while (written.get() < STREAM_BYTES) {
          out.write(chunk);
          written.addAndGet(line.length);
        }
        ended.complete(new AssertionError("the whole stream was written: nothing held it back"));
      } catch (IOException e) {
        ended.complete(e);
      }
    }

    private static String readHead(InputStream in) throws IOException {
      StringBuilder head = new StringBuilder();
      while (!head.toString().endsWith("\r\n\r\n")) {
        int c = in.read();
        if (c == -1) {
          throw new IOException("request ended early");
        }
        head.append((char) c);
      }
      return head.toString();
    }

    @Override
    public void close() throws IOException {
      server.close();
    }
  }
}
