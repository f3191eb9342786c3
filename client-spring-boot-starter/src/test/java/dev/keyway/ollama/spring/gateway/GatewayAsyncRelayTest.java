package dev.keyway.ollama.spring.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * A relayed stream holds no container thread: with Tomcat limited to two threads, twelve streams
 * that each wait upstream between their first token and their end all deliver their first token at
 * once, and all end once released. With a thread per stream (the blocking relay), the third
 * stream's first token would never come while the first two wait.
 */
@SpringBootTest(classes = GatewayFixture.App.class, webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
    properties = {"ollama.gateway.enabled=true", "server.tomcat.threads.max=2", "server.tomcat.threads.min-spare=1"})
class GatewayAsyncRelayTest extends GatewayFixture {
  static final int STREAMS = 12;
  static final String KEY = "kw-secret-async-relay";
  static final CountDownLatch RELEASE = new CountDownLatch(1);
  @AutoClose static final RawUpstream UPSTREAM = new RawUpstream();

  static {
    UPSTREAM.on("/api/chat", GatewayAsyncRelayTest::slowStream);
  }

  @DynamicPropertySource
  static void upstream(DynamicPropertyRegistry registry) {
    upstream(registry, UPSTREAM::baseUrl, KEY);
  }

  @Test
  void moreStreamsThanContainerThreadsFlowAtOnce() throws Exception {
    List<Socket> browsers = new ArrayList<>();
    try {
      for (int i = 0; i < STREAMS; i++) {
        Socket browser = new Socket(InetAddress.getLoopbackAddress(), port());
        browser.setSoTimeout(10_000);
        browsers.add(browser);
        String body = "{\"model\":\"llama3.2\",\"messages\":[{\"role\":\"user\",\"content\":\"" + i + "\"}]}";
        OutputStream out = browser.getOutputStream();
        out.write(("POST /ollama/api/chat HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
            + "Content-Length: " + body.length() + "\r\n\r\n" + body).getBytes(StandardCharsets.US_ASCII));
        out.flush();
      }
      List<ByteArrayOutputStream> received = new ArrayList<>();
      for (Socket browser : browsers) {
        ByteArrayOutputStream got = new ByteArrayOutputStream();
        received.add(got);
        readUntil(browser.getInputStream(), got, "\"content\":\"first\"");
      }
      assertThat(UPSTREAM.count("/api/chat")).isEqualTo(STREAMS);
      RELEASE.countDown();
      for (int i = 0; i < STREAMS; i++) {
        ByteArrayOutputStream got = received.get(i);
        readUntil(browsers.get(i).getInputStream(), got, "0\r\n\r\n");
        String text = got.toString(StandardCharsets.UTF_8);
        assertThat(text).startsWith("HTTP/1.1 200").contains("\"done\":true").doesNotContain(KEY);
      }
    } finally {
      RELEASE.countDown();
      for (Socket browser : browsers) {
        browser.close();
      }
    }
  }

  /** Reads into {@code got} until it contains {@code marker}; the socket timeout bounds each read. */
  private static void readUntil(InputStream in, ByteArrayOutputStream got, String marker) throws IOException {
    byte[] buffer = new byte[4096];
    while (!got.toString(StandardCharsets.UTF_8).contains(marker)) {
      int n = in.read(buffer);
      assertThat(n).as("the stream ended before %s: %s", marker, got).isPositive();
      got.write(buffer, 0, n);
    }
  }

  /** A first token, then a wait for the test's release (at most 30 s), then the done line. */
  private static void slowStream(OutputStream out) throws IOException {
    RawUpstream.chunkedHead(out, "application/x-ndjson");
    byte[] first = ("{\"model\":\"llama3.2\",\"created_at\":\"2026-12-03T00:00:00Z\",\"message\":{\"role\":"
        + "\"assistant\",\"content\":\"first\"},\"done\":false}\n").getBytes(StandardCharsets.UTF_8);
    RawUpstream.chunk(out, first, 0, first.length);
    out.flush();
    try {
      if (!RELEASE.await(30, TimeUnit.SECONDS)) {
        throw new IOException("not released");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptedIOException();
    }
    byte[] done = ("{\"model\":\"llama3.2\",\"created_at\":\"2026-12-03T00:00:01Z\",\"message\":{\"role\":"
        + "\"assistant\",\"content\":\"\"},\"done\":true,\"done_reason\":\"stop\",\"eval_count\":1}\n")
        .getBytes(StandardCharsets.UTF_8);
    RawUpstream.chunk(out, done, 0, done.length);
    RawUpstream.lastChunk(out);
  }
}
