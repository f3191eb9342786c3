package dev.keyway.bench;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;

/**
 * The pre-rendered bytes of one {@code rate-N-R} stream for the light harness ({@link LightStandIn}
 * writes them, {@link LightLoad} checks them): content line {@code i} is {@link Wire#contentLine}
 * with a content of {@value #STAMP_DIGITS} decimal digits, the stand-in's {@link System#nanoTime()}
 * at the write, zero-padded so every line of a given index has one length and one HTTP chunk size.
 * Each line also differs by index ({@code created_at}), so a receiver that compares a line with the
 * template of the index it expects knows it got every token, in order.
 */
final class LightStream {
  static final int STAMP_DIGITS = 19;
  private static final String ZEROS = "0".repeat(STAMP_DIGITS);
  private static final Map<Integer, LightStream> CACHE = new HashMap<>();

  final int tokens;
  /** Content line {@code i} with a zero stamp, ending in {@code \n}. */
  final byte[][] lines;
  /** Where the stamp starts in {@code lines[i]}. */
  final int[] stampAt;
  /** {@code lines[i]} as one HTTP chunk. */
  final byte[][] frames;
  /** Where the stamp starts in {@code frames[i]}. */
  final int[] frameStampAt;
  /** The done line, ending in {@code \n}. */
  final byte[] doneLine;
  /** The done line as one HTTP chunk, then the last chunk. */
  final byte[] doneFrames;

  private LightStream(int tokens) {
    this.tokens = tokens;
    lines = new byte[tokens][];
    stampAt = new int[tokens];
    frames = new byte[tokens][];
    frameStampAt = new int[tokens];
    for (int i = 0; i < tokens; i++) {
      String line = Wire.contentLine(i, ZEROS);
      byte[] b = line.getBytes(StandardCharsets.UTF_8);
      int at = line.indexOf("\"content\":\"") + "\"content\":\"".length();
      if (b.length != line.length() || !line.startsWith(ZEROS, at)) {
        throw new IllegalStateException("content line " + i + " is not ASCII up to its content");
      }
      lines[i] = b;
      stampAt[i] = at;
      frames[i] = Wire.frame(b, 0, b.length);
      frameStampAt[i] = at + frames[i].length - b.length - 2;
    }
    doneLine = Wire.doneLine(tokens).getBytes(StandardCharsets.UTF_8);
    byte[] done = Wire.frame(doneLine, 0, doneLine.length);
    byte[] last = "0\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
    doneFrames = new byte[done.length + last.length];
    System.arraycopy(done, 0, doneFrames, 0, done.length);
    System.arraycopy(last, 0, doneFrames, done.length, last.length);
  }

  static synchronized LightStream of(int tokens) {
    return CACHE.computeIfAbsent(tokens, LightStream::new);
  }

  /** Writes {@code value} as {@value #STAMP_DIGITS} zero-padded digits at {@code at} (absolute). */
  static void putStamp(ByteBuffer buffer, int at, long value) {
    if (value < 0) {
      throw new IllegalStateException("negative System.nanoTime() " + value + ": the light harness needs Linux's monotonic clock");
    }
    for (int k = at + STAMP_DIGITS - 1; k >= at; k--) {
      buffer.put(k, (byte) ('0' + (int) (value % 10)));
      value /= 10;
    }
  }

  /**
   * The stamp of {@code line[off, off+len)} if it is content line {@code i} (byte for byte but the
   * stamp's digits), else -1.
   */
  long stampIfLine(int i, byte[] line, int off, int len) {
    byte[] t = lines[i];
    if (len != t.length) {
      return -1;
    }
    int at = stampAt[i];
    if (!java.util.Arrays.equals(line, off, off + at, t, 0, at)
        || !java.util.Arrays.equals(line, off + at + STAMP_DIGITS, off + len, t, at + STAMP_DIGITS, t.length)) {
      return -1;
    }
    long v = 0;
    for (int k = off + at; k < off + at + STAMP_DIGITS; k++) {
      int d = line[k] - '0';
      if (d < 0 || d > 9) {
        return -1;
      }
      v = v * 10 + d;
    }
    return v;
  }
}
