package dev.keyway.ollama.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.InputStream;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** {@code HEAD /api/blobs/:digest} and {@code POST /api/blobs/:digest}. */
class OllamaStandInBlobsTest {
  private static final byte[] BLOB = "GGUF, pretend weights".getBytes(StandardCharsets.UTF_8);

  private final OllamaStandIn ollama = OllamaStandIn.builder().build();

  @AfterEach
  void close() {
    ollama.close();
  }

  private static String hex(byte[] bytes) throws Exception {
    return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
  }

  @Test
  void uploadIs201ThenTheBlobExistsUnderEitherSpelling() throws Exception {
    String hex = hex(BLOB);
    assertThat(Http.head(ollama, "/api/blobs/sha256:" + hex).statusCode()).isEqualTo(404);

    HttpResponse<String> created = Http.postBytes(ollama, "/api/blobs/sha256:" + hex, BLOB);

    assertThat(created.statusCode()).isEqualTo(201);
    assertThat(created.body()).isEmpty();
    assertThat(created.headers().firstValue("Content-Type")).isEmpty();
    HttpResponse<String> head = Http.head(ollama, "/api/blobs/sha256:" + hex);
    assertThat(head.statusCode()).isEqualTo(200);
    assertThat(head.headers().firstValue("Content-Length")).hasValue("0");
    assertThat(Http.head(ollama, "/api/blobs/sha256-" + hex).statusCode()).isEqualTo(200);
    assertThat(ollama.hasBlob("sha256:" + hex)).isTrue();
    assertThat(ollama.hasBlob("sha256-" + hex)).isTrue();
    assertThat(ollama.blobBytesReceived("sha256:" + hex)).isEqualTo(BLOB.length);
    assertThat(Http.postBytes(ollama, "/api/blobs/sha256:" + hex, BLOB).statusCode()).isEqualTo(200);
  }

  @Test
  void missingBlobIs404OnHeadWithoutABody() throws Exception {
    HttpResponse<String> head = Http.head(ollama, "/api/blobs/sha256:" + hex(BLOB));

    assertThat(head.statusCode()).isEqualTo(404);
    assertThat(head.body()).isEmpty();
    assertThat(ollama.hasBlob("sha256:" + hex(BLOB))).isFalse();
    assertThat(ollama.blobBytesReceived("sha256:" + hex(BLOB))).isEqualTo(-1);
  }

  @Test
  void bytesThatHashDifferentlyAre400DigestMismatch() throws Exception {
    String expected = "sha256:" + hex("other bytes".getBytes(StandardCharsets.UTF_8));

    HttpResponse<String> response = Http.postBytes(ollama, "/api/blobs/" + expected, BLOB);

    assertThat(response.statusCode()).isEqualTo(400);
    assertThat(response.body()).isEqualTo("{\"error\":\"digest mismatch, expected \\\"" + expected
        + "\\\", got \\\"sha256:" + hex(BLOB) + "\\\"\"}");
    assertThat(ollama.hasBlob(expected)).isFalse();
    // as in Ollama, an upload must name the digest sha256:<lowercase hex> to match
    String dashed = "sha256-" + hex(BLOB);
    assertThat(Http.postBytes(ollama, "/api/blobs/" + dashed, BLOB).statusCode()).isEqualTo(400);
  }

  @Test
  void malformedDigestIs400() {
    for (String digest : new String[] {"sha256:abc", "md5:0123", "sha256:" + "g".repeat(64)}) {
      HttpResponse<String> post = Http.postBytes(ollama, "/api/blobs/" + digest, BLOB);

      assertThat(post.statusCode()).as(digest).isEqualTo(400);
      assertThat(post.body()).isEqualTo("{\"error\":\"invalid digest format\"}");
      assertThat(Http.head(ollama, "/api/blobs/" + digest).statusCode()).isEqualTo(400);
    }
    assertThat(ollama.hasBlob("not a digest")).isFalse();
  }

  @Test
  void otherMethodsAndPathsAreGinsDefaults() {
    assertThat(Http.get(ollama, "/api/blobs/sha256:" + "0".repeat(64)).statusCode()).isEqualTo(405);
    assertThat(Http.get(ollama, "/api/blobs/").statusCode()).isEqualTo(404);
    assertThat(Http.postBytes(ollama, "/api/blobs/a/b", BLOB).statusCode()).isEqualTo(404);
  }

  /** 65 MiB, more than the stand-in buffers for any other request, chunked and with a length. */
  @Test
  void largeUploadsStreamThroughTheDigest() throws Exception {
    long size = 65L * 1024 * 1024;
    MessageDigest sha256 = MessageDigest.getInstance("SHA-256");
    try (InputStream in = new PatternStream(size)) {
      byte[] buffer = new byte[1 << 16];
      for (int n; (n = in.read(buffer)) >= 0; ) {
        sha256.update(buffer, 0, n);
      }
    }
    String digest = "sha256:" + HexFormat.of().formatHex(sha256.digest());
    Supplier<InputStream> body = () -> new PatternStream(size);

    HttpResponse<String> chunked = Http.send(Http.request(ollama, "/api/blobs/" + digest)
        .POST(HttpRequest.BodyPublishers.ofInputStream(body)).build());

    assertThat(chunked.statusCode()).isEqualTo(201);
    assertThat(ollama.blobBytesReceived(digest)).isEqualTo(size);
    RecordedRequest recorded = ollama.takeRequest();
    assertThat(recorded.path()).isEqualTo("/api/blobs/" + digest);
    assertThat(recorded.header("Transfer-Encoding")).isEqualTo("chunked");
    assertThat(recorded.body()).isEmpty(); // not kept

    String other = "sha256:" + "0".repeat(64);
    HttpResponse<String> sized = Http.send(Http.request(ollama, "/api/blobs/" + other)
        .POST(HttpRequest.BodyPublishers.fromPublisher(HttpRequest.BodyPublishers.ofInputStream(body), size))
        .build());
    assertThat(sized.statusCode()).isEqualTo(400);
    assertThat(sized.body()).contains("got \\\"" + digest + "\\\"");
  }

  @Test
  void unreadBodiesAreDiscardedSoTheConnectionCarriesOn() throws Exception {
    String hex = hex(BLOB);
    assertThat(Http.postBytes(ollama, "/api/blobs/sha256:" + hex, BLOB).statusCode()).isEqualTo(201);

    try (RawHttp raw = new RawHttp(ollama)) {
      raw.send("POST", "/api/blobs/sha256:" + hex, "already there, not read");
      RawHttp.Head exists = raw.readHead();
      raw.send("POST", "/api/blobs/sha256:abc", "malformed, not read");
      RawHttp.Head malformed = raw.readHead();
      raw.readBody(malformed);
      raw.send("GET", "/api/version", "");
      RawHttp.Head version = raw.readHead();

      assertThat(exists.status).isEqualTo(200);
      assertThat(malformed.status).isEqualTo(400);
      assertThat(version.status).isEqualTo(200);
      assertThat(raw.readBody(version)).isEqualTo("{\"version\":\"0.33.0\"}");
    }
    assertThat(ollama.requests()).extracting(RecordedRequest::connectionIndex).containsOnly(0, 1);
  }

  @Test
  void unauthorizedUploadsAreDiscardedToo() throws Exception {
    try (OllamaStandIn guarded = OllamaStandIn.builder().requireApiKey("kw-secret-blob").build();
        RawHttp raw = new RawHttp(guarded)) {
      raw.send("POST", "/api/blobs/sha256:" + hex(BLOB), "some bytes");
      RawHttp.Head rejected = raw.readHead();
      String body = raw.readBody(rejected);
      raw.send("GET", "/api/version", "", "X-API-Key", "kw-secret-blob");
      RawHttp.Head version = raw.readHead();

      assertThat(rejected.status).isEqualTo(401);
      assertThat(body).isEqualTo("Unauthorized");
      assertThat(version.status).isEqualTo(200);
      assertThat(guarded.hasBlob("sha256:" + hex(BLOB))).isFalse();
    }
  }

  /** {@code size} bytes of a repeating 251-byte pattern, produced on the fly. */
  private static final class PatternStream extends InputStream {
    private static final byte[] PATTERN = new byte[251];

    static {
      for (int i = 0; i < PATTERN.length; i++) {
        PATTERN[i] = (byte) (i * 31 % 251);
      }
    }

    private final long size;
    private long position;

    PatternStream(long size) {
      this.size = size;
    }

    @Override
    public int read() {
      return position < size ? PATTERN[(int) (position++ % PATTERN.length)] & 0xFF : -1;
    }

    @Override
    public int read(byte[] buffer, int offset, int length) {
      if (position >= size) {
        return -1;
      }
      int n = (int) Math.min(length, size - position);
      for (int done = 0; done < n; ) {
        int from = (int) (position % PATTERN.length);
        int run = Math.min(n - done, PATTERN.length - from);
        System.arraycopy(PATTERN, from, buffer, offset + done, run);
        done += run;
        position += run;
      }
      return n;
    }
  }
}
