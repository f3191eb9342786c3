package dev.keyway.ollama.spring.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Locale;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * How the gateway relays what upstream sends, against an upstream on raw sockets: one upstream
 * call per browser request even when the client would retry (issue 10, finding 9); replies of any
 * line length through a bounded buffer (finding 7); and the upstream key, echoed in a 2xx body in
 * any letter case and split across chunks, never reaching the browser (finding 6). The client
 * keeps its default retries here, so a gateway that retried would show it.
 */
@SpringBootTest(classes = GatewayFixture.App.class, webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
    properties = "ollama.gateway.enabled=true")
class GatewayRelayTest extends GatewayFixture {
  static final String KEY = "kw-secret-relay-upstream-31415";
  @AutoClose static final RawUpstream UPSTREAM = new RawUpstream();

  @DynamicPropertySource
  static void upstream(DynamicPropertyRegistry registry) {
    upstreamWithClientRetries(registry, UPSTREAM::baseUrl, KEY);
  }

  static void status(OutputStream out, int status, String retryAfter, String error) throws IOException {
    byte[] body = ("{\"error\":\"" + error + "\"}").getBytes(StandardCharsets.UTF_8);
    out.write(("HTTP/1.1 " + status + " Busy\r\nContent-Type: application/json\r\nRetry-After: " + retryAfter
        + "\r\nContent-Length: " + body.length + "\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
    out.write(body);
  }

  @Test
  void a503OrA429AndItsRetryAfterReachTheBrowserAtOnceWithOneUpstreamCall() throws Exception {
    UPSTREAM.on("/api/chat", out -> status(out, 503, "1", "server busy, please try again"));
    UPSTREAM.on("/api/generate", out -> status(out, 429, "2", "too many requests"));
    int chatsBefore = UPSTREAM.count("/api/chat");
    int generatesBefore = UPSTREAM.count("/api/generate");
    HttpResponse<String> busy = post("/api/chat", "{\"model\":\"m\",\"stream\":false}");
    assertThat(busy.statusCode()).isEqualTo(503);
    assertThat(busy.headers().firstValue("Retry-After")).contains("1");
    assertThat(JSON.readTree(busy.body()).get("error").asText()).isEqualTo("server busy, please try again");
    assertThat(UPSTREAM.count("/api/chat")).as("upstream calls for one browser request").isEqualTo(chatsBefore + 1);

    HttpResponse<String> limited = post("/api/generate", "{\"model\":\"m\",\"prompt\":\"p\"}");
    assertThat(limited.statusCode()).isEqualTo(429);
    assertThat(limited.headers().firstValue("Retry-After")).contains("2");
    assertThat(UPSTREAM.count("/api/generate")).isEqualTo(generatesBefore + 1);
  }

  /**
   * OkHttp on its own would send a request answered 503 with {@code Retry-After: 0} again, to the
   * same upstream: the client keeps it from doing so, and the browser gets the 503 with the
   * header as upstream sent it.
   */
  @Test
  void a503WithRetryAfterZeroReachesTheBrowserAsSentWithOneUpstreamCall() throws Exception {
    UPSTREAM.on("/api/chat", out -> status(out, 503, "0", "server busy"));
    int chatsBefore = UPSTREAM.count("/api/chat");
    HttpResponse<String> busy = post("/api/chat", "{\"model\":\"m\",\"stream\":false}");
    assertThat(busy.statusCode()).isEqualTo(503);
    assertThat(busy.headers().allValues("Retry-After")).containsExactly("0");
    assertThat(UPSTREAM.count("/api/chat")).as("upstream calls for one browser request").isEqualTo(chatsBefore + 1);
  }

  /**
   * A 64 MiB reply on one line: halfway through, with the browser holding back, the gateway's
   * heap (measured after a full GC, in this JVM that runs gateway and upstream alike) has grown by
   * far less than the line. A relay that gathers lines would hold all 64 MiB before sending any.
   */
  @Test
  void aSingle64MiBLineIsRelayedThroughABoundedBuffer() throws Exception {
    long lineBytes = 64L << 20;
    byte[] filler = new byte[64 * 1024];
    Arrays.fill(filler, (byte) 'x');
    UPSTREAM.on("/api/version", out -> {
      RawUpstream.chunkedHead(out, "application/json");
      byte[] open = "{\"version\":\"".getBytes(StandardCharsets.US_ASCII);
      RawUpstream.chunk(out, open, 0, open.length);
      for (long sent = 0; sent < lineBytes; sent += filler.length) {
        RawUpstream.chunk(out, filler, 0, filler.length);
      }
      byte[] close = "\"}\n".getBytes(StandardCharsets.US_ASCII);
      RawUpstream.chunk(out, close, 0, close.length);
      RawUpstream.lastChunk(out);
    });
    MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
    System.gc();
    long before = memory.getHeapMemoryUsage().getUsed();
    HttpResponse<InputStream> r = http.send(HttpRequest.newBuilder(uri("/api/version")).build(),
        HttpResponse.BodyHandlers.ofInputStream());
    assertThat(r.statusCode()).isEqualTo(200);
    long read;
    long grown;
    try (InputStream in = r.body()) {
      read = skip(in, lineBytes / 2);
      System.gc();
      grown = memory.getHeapMemoryUsage().getUsed() - before;
      read += skip(in, Long.MAX_VALUE);
    }
    System.out.printf("[relay] 64 MiB single line: heap grew by %.1f MiB halfway through%n", grown / 1048576.0);
    assertThat(read).isEqualTo(lineBytes + "{\"version\":\"\"}\n".length());
    assertThat(grown).as("heap held while relaying a 64 MiB line").isLessThan(16L << 20);
  }

  private static long skip(InputStream in, long limit) throws IOException {
    byte[] buffer = new byte[64 * 1024];
    long total = 0;
    while (total < limit) {
      int n = in.read(buffer, 0, (int) Math.min(buffer.length, limit - total));
      if (n < 0) {
        break;
      }
      total += n;
    }
    return total;
  }

  @Test
  void theKeyEchoedInA2xxBodyInAnyCaseAndSplitAcrossChunksNeverReachesTheBrowser() throws Exception {
    String upper = KEY.toUpperCase(Locale.ROOT);
    String mixed = "kW-SeCrEt-ReLaY-uPsTrEaM-31415";
    UPSTREAM.on("/api/version", out -> {
      RawUpstream.chunkedHead(out, "application/json");
      byte[] body = ("{\"version\":\"0.33.0\",\"echo\":\"X-API-Key: " + upper + "\"}").getBytes(StandardCharsets.UTF_8);
      int split = body.length - 12; // inside the key
      RawUpstream.chunk(out, body, 0, split);
      out.flush();
      RawUpstream.chunk(out, body, split, body.length - split);
      RawUpstream.lastChunk(out);
    });
    UPSTREAM.on("/api/chat", out -> {
      RawUpstream.chunkedHead(out, "application/x-ndjson");
      for (String echoed : new String[] {KEY, upper, mixed}) {
        byte[] line = ("{\"model\":\"m\",\"message\":{\"role\":\"assistant\",\"content\":\"key " + echoed
            + "\"},\"done\":false}\n").getBytes(StandardCharsets.UTF_8);
        int split = line.length / 2 + 3;
        RawUpstream.chunk(out, line, 0, split);
        out.flush();
        RawUpstream.chunk(out, line, split, line.length - split);
        out.flush();
      }
      byte[] done = "{\"model\":\"m\",\"message\":{\"role\":\"assistant\",\"content\":\"\"},\"done\":true}\n"
          .getBytes(StandardCharsets.UTF_8);
      RawUpstream.chunk(out, done, 0, done.length);
      RawUpstream.lastChunk(out);
    });
    HttpResponse<String> version = get("/api/version");
    assertThat(version.statusCode()).isEqualTo(200);
    assertThat(version.body().toLowerCase(Locale.ROOT)).doesNotContain(KEY.toLowerCase(Locale.ROOT))
        .contains("[redacted]");
    HttpResponse<String> chat = post("/api/chat", "{\"model\":\"m\",\"messages\":[]}");
    assertThat(chat.statusCode()).isEqualTo(200);
    assertThat(chat.body().toLowerCase(Locale.ROOT)).doesNotContain(KEY.toLowerCase(Locale.ROOT));
    assertThat(chat.body().split("\n")).hasSize(4);
    assertThat(chat.body()).contains("[redacted]");
  }
}
