package dev.keyway.ollama.spring.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
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
 * 1 GiB stream and counts what it managed to write. And a browser that stalls and then reads on
 * gets the whole stream, once and in order.
 */
@SpringBootTest(classes = GatewayFixture.App.class, webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
    properties = "ollama.gateway.enabled=true")
class GatewaySlowReaderTest extends GatewayFixture {
  static final long STREAM_BYTES = 1L << 30;
  static final AtomicLong WRITTEN = new AtomicLong();
  /** How the flood ended: the IOException of the write the gateway refused, or an AssertionError. */
  static final CompletableFuture<Throwable> ENDED = new CompletableFuture<>();
  @AutoClose static final RawUpstream UPSTREAM = new RawUpstream();

  /** Lines of {@link #numbered}'s stream: about 40 MiB, more than the sockets between hold. */
  static final int LINES = 40_000;
  static final AtomicLong NUMBERED_WRITTEN = new AtomicLong();

  static {
    UPSTREAM.on("/api/chat", GatewaySlowReaderTest::flood);
    UPSTREAM.on("/api/generate", GatewaySlowReaderTest::numbered);
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
   * A browser that stops reading twice, each time until the upstream stalls, and then reads on:
   * each stall leaves the gateway with a write the output could not take (its bytes kept, the
   * relay paused), and the container's write-possible call must write them and let the relay go
   * on. Every line arrives once, in order, and the stream ends with its last line.
   */
  @Test
  void aBrowserThatStallsAndReadsOnGetsEveryLineOnceInOrder() throws Exception {
    String body = "{\"model\":\"llama3.2\",\"prompt\":\"go\"}";
    ByteArrayOutputStream got = new ByteArrayOutputStream();
    try (Socket browser = new Socket("127.0.0.1", port())) {
      browser.setSoTimeout(30_000);
      OutputStream out = browser.getOutputStream();
      out.write(("POST /ollama/api/generate HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
          + "Connection: close\r\nContent-Length: " + body.length() + "\r\n\r\n" + body).getBytes(StandardCharsets.US_ASCII));
      out.flush();
      InputStream in = browser.getInputStream();
      for (int stall = 0; stall < 2; stall++) {
        awaitPlateau(NUMBERED_WRITTEN);
        assertThat(NUMBERED_WRITTEN.get()).as("upstream held back at stall %d", stall).isLessThan(LINES);
        got.write(in.readNBytes(256 * 1024));
      }
      in.transferTo(got);
    }
    String response = got.toString(StandardCharsets.UTF_8);
    String bodyText = dechunk(response.substring(response.indexOf("\r\n\r\n") + 4));
    String[] lines = bodyText.split("\n");
    assertThat(lines).hasSize(LINES + 1);
    for (int i = 0; i < LINES; i++) {
      // Compared whole, reported by its start: a line is over a kilobyte.
      String line = lines[i];
      assertThat(line.equals(numberedLine(i))).as("line %d, %d bytes: %s…", i, line.length(),
          line.substring(0, Math.min(80, line.length()))).isTrue();
    }
    assertThat(lines[LINES]).contains("\"done\":true");
  }

  /** The payload of an HTTP/1.1 chunked body, which must end with its last chunk. */
  private static String dechunk(String chunked) {
    StringBuilder payload = new StringBuilder();
    int at = 0;
    while (true) {
      int eol = chunked.indexOf("\r\n", at);
      assertThat(eol).as("a chunk size line at %d", at).isPositive();
      int size = Integer.parseInt(chunked.substring(at, eol).trim(), 16);
      if (size == 0) {
        return payload.toString();
      }
      payload.append(chunked, eol + 2, eol + 2 + size);
      at = eol + 2 + size + 2;
    }
  }

  private static String numberedLine(int i) {
    return "{\"model\":\"llama3.2\",\"created_at\":\"2026-11-25T00:00:00Z\",\"response\":\"" + i + " "
        + "y".repeat(1000) + "\",\"done\":false}";
  }

  /** Answers with {@link #LINES} numbered lines as fast as TCP allows, then the last line. */
  private static void numbered(OutputStream out) throws IOException {
    RawUpstream.chunkedHead(out, "application/x-ndjson");
    for (int i = 0; i < LINES; i++) {
      byte[] line = (numberedLine(i) + "\n").getBytes(StandardCharsets.UTF_8);
      RawUpstream.chunk(out, line, 0, line.length);
      NUMBERED_WRITTEN.incrementAndGet();
    }
    byte[] last = "{\"model\":\"llama3.2\",\"response\":\"\",\"done\":true,\"done_reason\":\"stop\"}\n"
        .getBytes(StandardCharsets.UTF_8);
    RawUpstream.chunk(out, last, 0, last.length);
    RawUpstream.lastChunk(out);
    out.flush();
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
