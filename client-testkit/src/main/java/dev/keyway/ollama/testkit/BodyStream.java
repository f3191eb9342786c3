package dev.keyway.ollama.testkit;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;

/**
 * A request body read straight off the connection, de-chunked on the fly, so that a large upload
 * passes through without being held in memory. It ends where the body ends; closing it does not
 * close the connection. Not thread-safe: one request, one thread.
 *
 * <p>The stand-in's only chunked-body decoder: a body read whole ({@link Http1#read}) goes through
 * it too. A chunk whose declared size would take the body past {@code maxBody} is refused with
 * {@link Http1.BadRequestException} before any of its bytes are read.
 */
final class BodyStream extends InputStream {
  private static final int DRAIN_BUFFER = 64 * 1024;

  private final InputStream in;
  private final boolean chunked;
  private final long maxBody;
  /** Bytes left in the body (identity) or in the current chunk (chunked). */
  private long remaining;
  private boolean finished;
  private long count;

  /**
   * A body of {@code contentLength} bytes, or chunked; {@code maxBody} caps a chunked body (an
   * identity body's length is checked against it by the caller, from the head).
   */
  BodyStream(InputStream in, boolean chunked, long contentLength, long maxBody) {
    this.in = in;
    this.chunked = chunked;
    this.maxBody = maxBody;
    this.remaining = chunked ? 0 : contentLength;
    this.finished = !chunked && contentLength == 0;
  }

  /** How many body bytes were read so far. */
  long count() {
    return count;
  }

  @Override
  public int read() throws IOException {
    byte[] one = new byte[1];
    int n = read(one, 0, 1);
    return n < 0 ? -1 : one[0] & 0xFF;
  }

  @Override
  public int read(byte[] buffer, int offset, int length) throws IOException {
    if (length == 0) {
      return 0;
    }
    if (remaining == 0 && !finished && chunked) {
      nextChunk();
    }
    if (finished || remaining == 0) {
      finished = true;
      return -1;
    }
    int n = in.read(buffer, offset, (int) Math.min(length, remaining));
    if (n < 0) {
      throw new EOFException("connection closed inside the request body");
    }
    remaining -= n;
    count += n;
    if (remaining == 0 && chunked) {
      String end = Http1.readLine(in);
      if (end == null || !end.isEmpty()) {
        throw new Http1.BadRequestException("chunk not followed by CRLF");
      }
    }
    return n;
  }

  /** Reads and discards the rest of the body, so the connection can carry the next request. */
  void drain() throws IOException {
    byte[] buffer = new byte[DRAIN_BUFFER];
    while (read(buffer, 0, buffer.length) >= 0) {
      // discard
    }
  }

  private void nextChunk() throws IOException {
    String sizeLine = Http1.readLine(in);
    if (sizeLine == null) {
      throw new EOFException("connection closed inside a chunked body");
    }
    int semicolon = sizeLine.indexOf(';');
    String hex = (semicolon < 0 ? sizeLine : sizeLine.substring(0, semicolon)).strip();
    long size;
    try {
      size = Long.parseLong(hex, 16);
    } catch (NumberFormatException e) {
      throw new Http1.BadRequestException("bad chunk size");
    }
    if (size < 0) {
      throw new Http1.BadRequestException("bad chunk size");
    }
    if (size > maxBody - count) {
      throw new Http1.BadRequestException("chunked body too large");
    }
    if (size > 0) {
      remaining = size;
      return;
    }
    String trailer;
    do {
      trailer = Http1.readLine(in);
      if (trailer == null) {
        throw new EOFException("connection closed inside the trailers");
      }
    } while (!trailer.isEmpty());
    finished = true;
  }
}
