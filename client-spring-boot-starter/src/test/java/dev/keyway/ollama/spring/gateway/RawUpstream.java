package dev.keyway.ollama.spring.gateway;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * An upstream written on raw sockets, for answers the stand-in cannot give: a reply generated on
 * the fly (a 64 MiB single line), a body split across chunk boundaries exactly where a test says,
 * a 503 with {@code Retry-After}. Answers each request with the handler registered for its path
 * and counts requests per path.
 */
final class RawUpstream implements AutoCloseable {
  /** Writes a complete HTTP/1.1 response (status line, headers, body) for one request. */
  interface Handler {
    void answer(OutputStream out) throws IOException;
  }

  private final ServerSocket server;
  private final Map<String, Handler> handlers = new ConcurrentHashMap<>();
  final Map<String, AtomicInteger> requests = new ConcurrentHashMap<>();

  RawUpstream() {
    try {
      server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
    Thread thread = new Thread(this::acceptLoop, "raw-upstream");
    thread.setDaemon(true);
    thread.start();
  }

  String baseUrl() {
    return "http://127.0.0.1:" + server.getLocalPort();
  }

  void on(String path, Handler handler) {
    handlers.put(path, handler);
  }

  int count(String path) {
    AtomicInteger n = requests.get(path);
    return n == null ? 0 : n.get();
  }

  private void acceptLoop() {
    while (!server.isClosed()) {
      try {
        Socket socket = server.accept();
        Thread t = new Thread(() -> serve(socket), "raw-upstream-conn");
        t.setDaemon(true);
        t.start();
      } catch (IOException closed) {
        return;
      }
    }
  }

  private void serve(Socket socket) {
    try (socket) {
      InputStream in = socket.getInputStream();
      String head = readHead(in);
      String path = head.substring(head.indexOf(' ') + 1, head.indexOf(' ', head.indexOf(' ') + 1));
      String lower = head.toLowerCase(Locale.ROOT);
      int at = lower.indexOf("content-length:");
      if (at >= 0) {
        int end = lower.indexOf("\r\n", at);
        in.readNBytes(Integer.parseInt(lower.substring(at + 15, end).trim()));
      }
      requests.computeIfAbsent(path, p -> new AtomicInteger()).incrementAndGet();
      Handler handler = handlers.get(path);
      OutputStream out = socket.getOutputStream();
      if (handler == null) {
        out.write("HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
            .getBytes(StandardCharsets.US_ASCII));
      } else {
        handler.answer(out);
      }
      out.flush();
    } catch (IOException gone) {
      // the gateway went away
    }
  }

  /** Writes one HTTP chunk. */
  static void chunk(OutputStream out, byte[] bytes, int from, int length) throws IOException {
    out.write((Integer.toHexString(length) + "\r\n").getBytes(StandardCharsets.US_ASCII));
    out.write(bytes, from, length);
    out.write("\r\n".getBytes(StandardCharsets.US_ASCII));
  }

  static void chunkedHead(OutputStream out, String contentType) throws IOException {
    out.write(("HTTP/1.1 200 OK\r\nContent-Type: " + contentType
        + "\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
  }

  static void lastChunk(OutputStream out) throws IOException {
    out.write("0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
  }

  private static String readHead(InputStream in) throws IOException {
    StringBuilder head = new StringBuilder();
    while (!head.toString().endsWith("\r\n\r\n")) {
      int c = in.read();
      if (c == -1) {
        throw new IOException("request ended early");
      }
      head.append((char) c);
    }
    return head.toString();
  }

  @Override
  public void close() throws IOException {
    server.close();
  }
}
