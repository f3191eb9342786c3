package dev.keyway.ollama;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * A one-connection HTTP server for byte-exact stream tests: the test writes the response body in
 * pieces of its choosing, with chunked framing, and can wait between pieces for the client to
 * react. MockWebServer cannot gate a write on the client having seen the previous one.
 */
final class RawHttpServer implements AutoCloseable {
  private final ServerSocket server;
  private final CompletableFuture<Socket> accepted = new CompletableFuture<>();
  private volatile String requestHead = "";
  private volatile String requestBody = "";

  RawHttpServer() throws IOException {
    server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
    Thread t = new Thread(() -> {
      try {
        Socket s = server.accept();
        readRequest(s.getInputStream());
        accepted.complete(s);
      } catch (IOException e) {
        accepted.completeExceptionally(e);
      }
    }, "raw-http-server");
    t.setDaemon(true);
    t.start();
  }

  String baseUrl() {
    return "http://127.0.0.1:" + server.getLocalPort();
  }

  String requestHead() {
    return requestHead;
  }

  String requestBody() {
    return requestBody;
  }

  private void readRequest(InputStream in) throws IOException {
    ByteArrayOutputStream head = new ByteArrayOutputStream();
    int last4 = 0;
    while (last4 != 0x0d0a0d0a) {
      int b = in.read();
      if (b < 0) {
        throw new IOException("client closed before sending a request");
      }
      head.write(b);
      last4 = (last4 << 8) | b;
    }
    requestHead = head.toString(StandardCharsets.ISO_8859_1);
    int length = 0;
    for (String line : requestHead.split("\r\n")) {
      if (line.toLowerCase(java.util.Locale.ROOT).startsWith("content-length:")) {
        length = Integer.parseInt(line.substring(15).trim());
      }
    }
    requestBody = new String(in.readNBytes(length), StandardCharsets.UTF_8);
  }

  /** Waits for the request and returns its connection, with nothing sent yet. */
  Socket accept() throws Exception {
    return accepted.get(10, TimeUnit.SECONDS);
  }

  /** Waits for the request, then sends a 200 NDJSON response head with chunked framing. */
  Socket startStream() throws Exception {
    Socket s = accepted.get(10, TimeUnit.SECONDS);
    write(s, ("HTTP/1.1 200 OK\r\nContent-Type: application/x-ndjson\r\n"
        + "Transfer-Encoding: chunked\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
    return s;
  }

  /** Sends {@code data} as one HTTP chunk and flushes it. */
  static void chunk(Socket s, byte[] data) throws IOException {
    OutputStream out = s.getOutputStream();
    out.write((Integer.toHexString(data.length) + "\r\n").getBytes(StandardCharsets.US_ASCII));
    out.write(data);
    out.write("\r\n".getBytes(StandardCharsets.US_ASCII));
    out.flush();
  }

  static void chunk(Socket s, String text) throws IOException {
    chunk(s, text.getBytes(StandardCharsets.UTF_8));
  }

  /** Ends the chunked body properly, unless the client has already gone (it may, after an error). */
  static void end(Socket s) {
    try {
      write(s, "0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
    } catch (IOException clientGone) {
      // nothing to end
    }
  }

  /** Writes {@code bytes} as they are and flushes them. */
  static void write(Socket s, byte[] bytes) throws IOException {
    s.getOutputStream().write(bytes);
    s.getOutputStream().flush();
  }

  /**
   * Whether the client went away: reading the socket hits end of stream or a reset within the
   * timeout.
   */
  static boolean clientClosed(Socket s, long timeoutMillis) throws IOException {
    s.setSoTimeout((int) timeoutMillis);
    try {
      return s.getInputStream().read() == -1;
    } catch (SocketTimeoutException e) {
      return false;
    } catch (IOException reset) {
      return true;
    }
  }

  @Override
  public void close() throws IOException {
    server.close();
    accepted.thenAccept(s -> {
      try {
        s.close();
      } catch (IOException ignored) {
        // closing
      }
    });
  }
}
