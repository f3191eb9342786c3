package dev.keyway.ollama.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Random;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.Test;

/**
 * Twin test: the streaming redaction must give exactly what {@link Redactor#redact(String)} gives
 * for the whole text, however the bytes are split into reads.
 */
class RedactingInputStreamTest {
  private static final String KEY = "kw-secret-Ab12";

  @RepeatedTest(200)
  void anySplitGivesWhatTheWholeTextRedactionGives() throws IOException {
    Random random = new Random();
    long seed = random.nextLong();
    random.setSeed(seed);
    String text = randomText(random);
    Redactor redactor = new Redactor(() -> KEY);

    byte[] streamed = drain(redactor.redact(new Chunked(text.getBytes(StandardCharsets.UTF_8), random)),
        random);

    assertThat(new String(streamed, StandardCharsets.UTF_8))
        .as("seed %d, text %s", seed, text)
        .isEqualTo(redactor.redact(text));
  }

  /** Long texts, read now and then in reads that fill the buffer: it grows, and shrinks after a mask. */
  @RepeatedTest(50)
  void anySplitOfALongTextGivesWhatTheWholeTextRedactionGives() throws IOException {
    Random random = new Random();
    long seed = random.nextLong();
    random.setSeed(seed);
    StringBuilder text = new StringBuilder();
    int target = random.nextInt(40_000);
    while (text.length() < target) {
      text.append(randomText(random)).append("x".repeat(random.nextInt(600)));
    }
    Redactor redactor = new Redactor(() -> KEY);
    Chunked source = new Chunked(text.toString().getBytes(StandardCharsets.UTF_8), random);
    source.greedy = true;

    byte[] streamed = drain(redactor.redact(source), random);

    assertThat(new String(streamed, StandardCharsets.UTF_8))
        .as("seed %d", seed)
        .isEqualTo(redactor.redact(text.toString()));
  }

  @Test
  void aStreamOfShortLinesKeepsASmallBuffer() throws IOException {
    byte[] line = "{\"message\":{\"role\":\"assistant\",\"content\":\"token\"},\"done\":false}\n"
        .getBytes(StandardCharsets.UTF_8);
    InputStream lines = new InputStream() {
      private int left = 2_000;

      @Override
      public int read() {
        throw new AssertionError("not read byte by byte");
      }

      @Override
      public int read(byte[] b, int off, int len) {
        if (left-- == 0) {
          return -1;
        }
        System.arraycopy(line, 0, b, off, line.length); // one line a read, as a stream arrives
        return line.length;
      }
    };
    RedactingInputStream in = (RedactingInputStream) new Redactor(() -> KEY).redact(lines);

    assertThat(in.readAllBytes()).hasSize(2_000 * line.length);
    assertThat(in.capacity()).isEqualTo(512 + KEY.length());
  }

  @Test
  void aLargeAnswerReadAtOnceGrowsTheBufferTo8KiB() throws IOException {
    byte[] large = "y".repeat(100_000).getBytes(StandardCharsets.UTF_8);
    RedactingInputStream in = (RedactingInputStream) new Redactor(() -> KEY).redact(new ByteArrayInputStream(large));

    assertThat(in.readAllBytes()).isEqualTo(large);
    assertThat(in.capacity()).isEqualTo(8192 + KEY.length());
  }

  @Test
  void aBearerCredentialIsRedactedByItsToken() throws IOException {
    Redactor redactor = new Redactor(() -> "Bearer " + KEY);
    String text = "auth: bearer " + KEY.toUpperCase() + " and " + KEY;
    byte[] out = redactor.redact(new ByteArrayInputStream(text.getBytes(StandardCharsets.UTF_8))).readAllBytes();
    assertThat(new String(out, StandardCharsets.UTF_8)).isEqualTo("auth: bearer [redacted] and [redacted]");
  }

  @Test
  void aTailThatCannotBeTheCredentialIsNotHeldBack() throws IOException {
    Redactor redactor = new Redactor(() -> KEY);
    // The source has more to come but only this is available now: "kw" could start the key,
    // so it waits, while everything before it is handed out at once.
    InputStream in = redactor.redact(new Chunked("{\"a\":\"b\"}\nkw".getBytes(StandardCharsets.UTF_8), null));
    byte[] buffer = new byte[64];
    int n = in.read(buffer);
    assertThat(new String(buffer, 0, n, StandardCharsets.UTF_8)).isEqualTo("{\"a\":\"b\"}\n");
  }

  /**
   * Upstream fails right after a possible start of the credential: the held bytes are dropped
   * with the failure, never handed out, since they could be the key's first characters. The
   * stream had failed anyway; what came before them was handed out.
   */
  @Test
  void aHeldTailIsDroppedWhenUpstreamFails() throws IOException {
    Redactor redactor = new Redactor(() -> KEY);
    byte[] sent = ("{\"a\":\"b\"}\n" + KEY.substring(0, KEY.length() - 1)).getBytes(StandardCharsets.UTF_8);
    IOException cut = new IOException("connection reset");
    InputStream upstream = new InputStream() {
      private boolean sentOnce;

      @Override
      public int read() {
        throw new UnsupportedOperationException();
      }

      @Override
      public int read(byte[] b, int off, int len) throws IOException {
        if (sentOnce) {
          throw cut;
        }
        sentOnce = true;
        System.arraycopy(sent, 0, b, off, sent.length);
        return sent.length;
      }
    };
    InputStream in = redactor.redact(upstream);
    byte[] buffer = new byte[64];
    int n = in.read(buffer);
    assertThat(new String(buffer, 0, n, StandardCharsets.UTF_8)).isEqualTo("{\"a\":\"b\"}\n");
    assertThatThrownBy(() -> in.read(buffer)).isSameAs(cut);
    assertThatThrownBy(() -> in.read(buffer)).isSameAs(cut);
  }

  @Test
  void withoutACredentialTheStreamIsUntouched() {
    InputStream in = new ByteArrayInputStream(new byte[1]);
    assertThat(new Redactor(null).redact(in)).isSameAs(in);
  }

  private static String randomText(Random random) {
    StringBuilder text = new StringBuilder();
    String[] parts = {KEY, KEY.toUpperCase(), KEY.substring(0, 5), "kw-", "k", "{\"x\":\"", "\"}\n", "é",
        "kw-secret-Ab1", KEY + KEY, "[redacted]", "kkw-secret-Ab12"};
    int count = random.nextInt(12);
    for (int i = 0; i < count; i++) {
      text.append(parts[random.nextInt(parts.length)]);
    }
    return text.toString();
  }

  private static byte[] drain(InputStream in, Random random) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    byte[] buffer = new byte[32];
    while (true) {
      if (random.nextBoolean()) {
        int b = in.read();
        if (b < 0) {
          return out.toByteArray();
        }
        out.write(b);
      } else {
        int n = in.read(buffer, 0, 1 + random.nextInt(buffer.length));
        if (n < 0) {
          return out.toByteArray();
        }
        out.write(buffer, 0, n);
      }
    }
  }

  /** Hands its bytes out in reads of random sizes (of one byte each when no random is given). */
  private static final class Chunked extends InputStream {
    private final byte[] bytes;
    private final Random random;
    /** Half the reads give all that was asked for (a buffer-filling read), the rest a few bytes. */
    boolean greedy;
    private int pos;

    Chunked(byte[] bytes, Random random) {
      this.bytes = bytes;
      this.random = random;
    }

    @Override
    public int read() {
      return pos < bytes.length ? bytes[pos++] & 0xff : -1;
    }

    @Override
    public int read(byte[] b, int off, int len) {
      if (pos >= bytes.length) {
        return -1;
      }
      int n = random == null ? Math.min(len, bytes.length - pos)
          : greedy && random.nextBoolean() ? Math.min(len, bytes.length - pos)
          : Math.min(Math.min(len, 1 + random.nextInt(7)), bytes.length - pos);
      System.arraycopy(bytes, pos, b, off, n);
      pos += n;
      return n;
    }
  }
}
