package dev.keyway.ollama.internal;

import static org.assertj.core.api.Assertions.assertThat;

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
          : Math.min(Math.min(len, 1 + random.nextInt(7)), bytes.length - pos);
      System.arraycopy(bytes, pos, b, off, n);
      pos += n;
      return n;
    }
  }
}
