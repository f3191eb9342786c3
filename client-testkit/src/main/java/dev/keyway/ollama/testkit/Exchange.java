package dev.keyway.ollama.testkit;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * One request and its response on a connection. Every write is flushed at once. An IOException
 * from any method means the client went away (or the stand-in is closing).
 */
final class Exchange {
  static final String TEXT = "text/plain; charset=utf-8";
  static final String HTML = "text/html; charset=utf-8";
  static final String JSON = "application/json; charset=utf-8";
  static final String NDJSON = "application/x-ndjson";

  /** How often a pause looks for the client having closed its end. */
  private static final int PEEK_MILLIS = 20;

  final Http1.Request request;
  private final Socket socket;
  private final InputStream in;
  private final OutputStream out;
  private boolean keepAlive;
  private boolean streaming;
  private boolean aborted;
  private boolean peekable = true;

  Exchange(Http1.Request request, Socket socket, InputStream in, OutputStream out) {
    this.request = request;
    this.socket = socket;
    this.in = in;
    this.out = out;
    this.keepAlive = request.keepAlive();
  }

  /** Whether the connection may carry another request after this one. */
  boolean keepAlive() {
    return keepAlive && !aborted;
  }

  /** Whether the stand-in itself cut the connection (a drop fault), not the client. */
  boolean aborted() {
    return aborted;
  }

  void text(int status, String contentType, String body) throws IOException {
    respond(status, contentType, body.getBytes(StandardCharsets.UTF_8), List.of());
  }

  void json(int status, byte[] body) throws IOException {
    respond(status, JSON, body, List.of());
  }

  void error(int status, String message) throws IOException {
    json(status, Json.error(message));
  }

  /** A response with {@code Content-Length}; a HEAD request gets the head only. */
  void respond(int status, @Nullable String contentType, byte[] body, List<String[]> extra)
      throws IOException {
    List<String[]> headers = new ArrayList<>(extra.size() + 3);
    if (contentType != null) {
      headers.add(new String[] {"Content-Type", contentType});
    }
    headers.add(new String[] {"Content-Length", Integer.toString(body.length)});
    headers.addAll(extra);
    if (!keepAlive) {
      headers.add(new String[] {"Connection", "close"});
    }
    out.write(Http1.head(status, headers));
    if (!request.method.equals("HEAD")) {
      out.write(body);
    }
    out.flush();
  }

  /**
   * Writes one HTTP chunk holding one NDJSON line and flushes it. The response head goes out with
   * the first chunk, as Ollama's does (its headers leave with the first token).
   */
  void chunk(byte[] line) throws IOException {
    writeChunk(line, line.length);
  }

  /** Declares a chunk of {@code line.length} bytes, writes only the first {@code cut}, drops. */
  void truncatedChunk(byte[] line, int cut) throws IOException {
    writeChunk(line, cut);
    abort();
  }

  private void writeChunk(byte[] data, int length) throws IOException {
    byte[] size = (Integer.toHexString(data.length) + "\r\n").getBytes(StandardCharsets.US_ASCII);
    byte[] head = streaming ? new byte[0] : streamHead();
    boolean whole = length == data.length;
    byte[] frame = new byte[head.length + size.length + length + (whole ? 2 : 0)];
    System.arraycopy(head, 0, frame, 0, head.length);
    System.arraycopy(size, 0, frame, head.length, size.length);
    System.arraycopy(data, 0, frame, head.length + size.length, length);
    if (whole) {
      frame[frame.length - 2] = '\r';
      frame[frame.length - 1] = '\n';
    }
    streaming = true;
    out.write(frame);
    out.flush();
  }

  /** Ends the chunked body properly (the zero-size chunk), writing the head first if needed. */
  void endStream() throws IOException {
    if (!streaming) {
      out.write(streamHead());
      streaming = true;
    }
    out.write("0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
    out.flush();
  }

  private byte[] streamHead() {
    List<String[]> headers = new ArrayList<>(3);
    headers.add(new String[] {"Content-Type", NDJSON});
    headers.add(new String[] {"Transfer-Encoding", "chunked"});
    if (!keepAlive) {
      headers.add(new String[] {"Connection", "close"});
    }
    return Http1.head(200, headers);
  }

  /** A bug in the stand-in: 500 if nothing was sent yet; the connection closes either way. */
  void internalError(RuntimeException e) {
    keepAlive = false;
    if (!streaming && !aborted) {
      try {
        error(500, "stand-in failed: " + e);
      } catch (IOException ignored) {
        // the client is gone too
      }
    }
    abort();
  }

  /**
   * The request body cannot be read (malformed, or past the size cap): 400 if nothing was sent
   * yet, as for a bad request head; the connection closes either way.
   */
  void badRequest() {
    keepAlive = false;
    if (!streaming && !aborted) {
      try {
        text(400, TEXT, "400 Bad Request");
      } catch (IOException ignored) {
        // the client is gone too
      }
    }
    abort();
  }

  /** Cuts the connection: whatever was flushed stays flushed, nothing else follows. */
  void abort() {
    aborted = true;
    try {
      socket.close();
    } catch (IOException ignored) {
      // already gone
    }
  }

  /**
   * Waits, watching for the client to close its end meanwhile: a pause throws as soon as it sees
   * end of stream on the socket, so a client that gives up during a long delay is noticed
   * before the next write.
   */
  void pause(Duration delay) throws IOException {
    if (delay.isZero() || delay.isNegative()) {
      return;
    }
    long deadline = System.nanoTime() + delay.toNanos();
    int timeout = socket.getSoTimeout();
    try {
      while (true) {
        if (Thread.currentThread().isInterrupted()) {
          throw new InterruptedIOException("stand-in closing");
        }
        long remainingMillis = (deadline - System.nanoTime() + 999_999) / 1_000_000;
        if (remainingMillis <= 0) {
          return;
        }
        if (!peekable) {
          sleep(remainingMillis);
          return;
        }
        socket.setSoTimeout((int) Math.min(remainingMillis, PEEK_MILLIS));
        in.mark(1);
        try {
          if (in.read() < 0) {
            throw new EOFException("client closed the connection");
          }
          in.reset(); // the client sent more (a pipelined request): keep it, stop peeking
          peekable = false;
        } catch (SocketTimeoutException stillThere) {
          // nothing to read and no end of stream: the client is still waiting
        }
      }
    } finally {
      if (!socket.isClosed()) {
        socket.setSoTimeout(timeout);
      }
    }
  }

  private static void sleep(long millis) throws InterruptedIOException {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("stand-in closing");
    }
  }
}
