package dev.keyway.ollama.internal;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Objects;

/**
 * Copies a byte stream with every occurrence of a secret, in any ASCII letter case, replaced by
 * {@code [redacted]}, including occurrences split across reads. Bytes are handed out as soon as
 * they are read, except a tail that could still be the beginning of the secret (held until the
 * next read decides it), so a line-by-line stream keeps its timing. Memory is bounded: one read
 * buffer plus the secret's length. The buffer starts at {@value #MIN_READ} bytes, enough for a
 * streamed answer's lines (a relayed stream keeps it for its whole life), and doubles up to
 * {@value #MAX_READ} each time a read fills it, as a large unary answer does.
 *
 * <p>When upstream fails, a held tail is dropped with the failure, never handed out: it is a
 * beginning of the secret, perhaps the key's first characters cut short by the failure. The
 * stream ends in that failure either way, so nothing whole is lost.
 */
final class RedactingInputStream extends InputStream {
  private static final byte[] MASK = Redactor.MASK.getBytes(StandardCharsets.US_ASCII);
  private static final int MIN_READ = 512;
  private static final int MAX_READ = 8192;

  private final InputStream in;
  private final byte[] needle;
  private byte[] buf;
  /** How many bytes the next read asks for, at most: grows while reads fill it. */
  private int readSize = MIN_READ;
  /** Bytes ready to hand out: [pos, limit); bytes held back: [limit, end). */
  private int pos;
  private int limit;
  private int end;
  private boolean eof;

  /** {@code secret} must not be empty. */
  RedactingInputStream(InputStream in, String secret) {
    this.in = in;
    this.needle = lower(secret.getBytes(StandardCharsets.UTF_8));
    if (needle.length == 0) {
      throw new IllegalArgumentException("empty secret");
    }
    this.buf = new byte[MIN_READ + needle.length];
  }

  @Override
  public int read() throws IOException {
    byte[] one = new byte[1];
    int n = read(one, 0, 1);
    return n < 0 ? -1 : one[0] & 0xff;
  }

  @Override
  public int read(byte[] b, int off, int len) throws IOException {
    Objects.checkFromIndexSize(off, len, b.length);
    if (len == 0) {
      return 0;
    }
    while (pos == limit) {
      if (!fill()) {
        return -1;
      }
    }
    int n = Math.min(len, limit - pos);
    System.arraycopy(buf, pos, b, off, n);
    pos += n;
    return n;
  }

  @Override
  public int available() {
    return limit - pos;
  }

  @Override
  public void close() throws IOException {
    in.close();
  }

  /** Reads more from upstream; false once everything has been handed out. */
  private boolean fill() throws IOException {
    if (eof) {
      if (limit < end) {
        limit = end; // at the end, a held tail can no longer become the secret
        return true;
      }
      return false;
    }
    int held = end - limit;
    System.arraycopy(buf, limit, buf, 0, held);
    pos = 0;
    limit = 0;
    end = held;
    int room = buf.length - end;
    int r = in.read(buf, end, room);
    if (r < 0) {
      eof = true;
      return true;
    }
    end += r;
    redactFrom(0);
    limit = end - heldBack();
    if (r == room && readSize < MAX_READ) {
      readSize *= 2; // the source had more than the room: read more at once from now on
      if (buf.length < readSize + needle.length) {
        buf = Arrays.copyOf(buf, readSize + needle.length);
      }
    }
    return true;
  }

  /** The read buffer's length; for tests. */
  int capacity() {
    return buf.length;
  }

  private void redactFrom(int from) {
    int n = needle.length;
    for (int i = from; i + n <= end; i++) {
      if (matches(i, n)) {
        byte[] out = new byte[buf.length - n + MASK.length];
        System.arraycopy(buf, 0, out, 0, i);
        System.arraycopy(MASK, 0, out, i, MASK.length);
        System.arraycopy(buf, i + n, out, i + MASK.length, end - i - n);
        buf = out;
        end += MASK.length - n;
        i += MASK.length - 1;
      }
    }
    if (buf.length > readSize + 4 * needle.length + 4 * MASK.length && end <= readSize) {
      byte[] smaller = new byte[readSize + needle.length];
      System.arraycopy(buf, 0, smaller, 0, end);
      buf = smaller;
    }
  }

  /** The length of the longest tail of the buffer that is a beginning of the secret. */
  private int heldBack() {
    for (int k = Math.min(needle.length - 1, end); k > 0; k--) {
      if (matches(end - k, k)) {
        return k;
      }
    }
    return 0;
  }

  private boolean matches(int at, int length) {
    for (int j = 0; j < length; j++) {
      if (lower(buf[at + j]) != needle[j]) {
        return false;
      }
    }
    return true;
  }

  private static byte lower(byte b) {
    return b >= 'A' && b <= 'Z' ? (byte) (b + ('a' - 'A')) : b;
  }

  private static byte[] lower(byte[] bytes) {
    byte[] out = bytes.clone();
    for (int i = 0; i < out.length; i++) {
      out[i] = lower(out[i]);
    }
    return out;
  }
}
