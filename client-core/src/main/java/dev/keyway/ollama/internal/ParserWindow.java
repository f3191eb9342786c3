package dev.keyway.ollama.internal;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;

/**
 * The body as the JSON parser reads it, remembering the parser's last buffer load, so that an
 * error can quote the line it happened on without the stream copying every line aside.
 */
final class ParserWindow extends InputStream {
  private final InputStream in;
  private long consumed; // bytes handed out before the last read
  private byte[] buffer = new byte[0];
  private long bufferStart; // stream offset of buffer[0]
  private int bufferEnd; // valid bytes: buffer[0, bufferEnd)
  /** {@link System#nanoTime()} when the current blocking read began, 0 between reads. */
  volatile long readingSince;

  ParserWindow(InputStream in) {
    this.in = in;
  }

  @Override
  public int read() throws IOException {
    // Jackson reads in blocks; this keeps the InputStream contract for anything that does not.
    byte[] one = new byte[1];
    int n = read(one, 0, 1);
    return n <= 0 ? -1 : one[0] & 0xff;
  }

  @Override
  public int read(byte[] b, int off, int len) throws IOException {
    readingSince = System.nanoTime() | 1; // never 0 while reading
    int n;
    try {
      n = in.read(b, off, len);
    } finally {
      readingSince = 0;
    }
    if (n > 0) {
      // The parser keeps b[0, off) from earlier loads (the bytes just before these), so the
      // window is the whole of b[0, off + n).
      buffer = b;
      bufferStart = consumed - off;
      bufferEnd = off + n;
      consumed += n;
    }
    return n;
  }

  @Override
  public int available() throws IOException {
    return in.available();
  }

  /**
   * The line around stream offset {@code at}, cut to {@code max} characters, from what the parser
   * still holds; the last line it holds when {@code at} is outside it.
   */
  String lineAt(long at, int max) {
    if (bufferEnd == 0) {
      return "";
    }
    int pos = at < bufferStart || at > bufferStart + bufferEnd ? bufferEnd : (int) (at - bufferStart);
    // At the end of what was read, or on a newline: quote the line that ended there.
    while (pos > 0 && (pos == bufferEnd || isNewline(buffer[pos])) && isNewline(buffer[pos - 1])) {
      pos--;
    }
    int start = pos;
    while (start > 0 && buffer[start - 1] != '\n') {
      start--;
    }
    int end = start;
    while (end < bufferEnd && buffer[end] != '\n' && buffer[end] != '\r') {
      end++;
    }
    String line = new String(buffer, start, Math.min(end - start, max * 4), StandardCharsets.UTF_8);
    return line.length() > max ? line.substring(0, max) + "…" : line;
  }

  private static boolean isNewline(byte b) {
    return b == '\n' || b == '\r';
  }
}
