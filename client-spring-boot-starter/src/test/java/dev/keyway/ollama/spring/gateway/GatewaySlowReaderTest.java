package dev.keyway.ollama.spring.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.context.SpringBootTest;
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
  static final AtomicLong WRITTEN = new AtomicLong();
  /** How the flood ended: the IOException of the write the gateway refused, or an AssertionError. */
  static final CompletableFuture<Throwable> ENDED = new CompletableFuture<>();
  @AutoClose static final RawUpstream UPSTREAM = new RawUpstream();

  static {
    UPSTREAM.on("/api/chat", GatewaySlowReaderTest::flood);
  }

  @DynamicPropertySource
  static void upstream(DynamicPropertyRegistry registry) {
    upstream(registry, UPSTREAM::baseUrl, "kw-secret-slow-reader");
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
      plateau = awaitPlateau(WRITTEN);
      System.out.printf("[slow reader] upstream wrote %.1f MiB of a %d MiB stream before stalling%n",
          plateau / 1048576.0, STREAM_BYTES >> 20);
      assertThat(plateau).as("bytes upstream could write while the browser read nothing")
          .isLessThan(64L * 1024 * 1024);
    }
    // The browser closed its socket: the gateway's next write fails and cancels the upstream call.
    Throwable upstreamEnd = ENDED.get(30, TimeUnit.SECONDS);
    assertThat(upstreamEnd).as("the upstream connection was closed by the gateway").isInstanceOf(IOException.class);
    assertThat(WRITTEN.get()).isLessThan(STREAM_BYTES);
  }

  /**
   * Waits until {@code counter} has not moved for a second, polling every 10 ms; returns its value
   * then. Fails if it is still moving after 30 seconds (nothing holds the writer back).
   */
  private static long awaitPlateau(AtomicLong counter) {
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    long last = counter.get();
    long lastMoved = System.nanoTime();
    while (System.nanoTime() - lastMoved < Duration.ofSeconds(1).toNanos()) {
      assertThat(System.nanoTime() - deadline).as("upstream still writing after 30 s: %d bytes", last).isNegative();
      LockSupport.parkNanos(Duration.ofMillis(10).toNanos());
      long now = counter.get();
      if (now != last) {
        last = now;
        lastMoved = System.nanoTime();
      }
    }
    return last;
  }

  /** Answers with an endless NDJSON stream, as fast as TCP allows, counting what it wrote. */
  private static void flood(OutputStream out) throws IOException {
    try {
      RawUpstream.chunkedHead(out, "application/x-ndjson");
      byte[] line = ("{\"model\":\"llama3.2\",\"created_at\":\"2026-11-25T00:00:00Z\",\"message\":{\"role\":"
          + "\"assistant\",\"content\":\"" + "x".repeat(900) + "\"},\"done\":false}\n").getBytes(StandardCharsets.UTF_8);
      byte[] chunk = (Integer.toHexString(line.length) + "\r\n" + new String(line, StandardCharsets.UTF_8) + "\r\n")
          .getBytes(StandardCharsets.UTF_8);
      while (WRITTEN.get() < STREAM_BYTES) {
        out.write(chunk);
        WRITTEN.addAndGet(line.length);
      }
      ENDED.complete(new AssertionError("the whole stream was written: nothing held it back"));
    } catch (IOException e) {
      ENDED.complete(e);
      throw e;
    }
  }
}
