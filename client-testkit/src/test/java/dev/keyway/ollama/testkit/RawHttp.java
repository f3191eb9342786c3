package dev.keyway.ollama.testkit;

import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/** A client on a plain socket, for what java.net.http hides: chunks, truncation, connections. */
final class RawHttp implements AutoCloseable {
  final Socket socket;
  final InputStream in;
  final OutputStream out;

  RawHttp(OllamaStandIn ollama) throws IOException {
    socket = new Socket(InetAddress.getLoopbackAddress(), ollama.port());
    socket.setSoTimeout(10_000);
    in = socket.getInputStream();
    out = socket.getOutputStream();
  }

  /** Sends a request; a non-null body gets a Content-Length. */
  void send(String method, String path, String body, String... headers) throws IOException {
    StringBuilder request = new StringBuilder();
    request.append(method).append(' ').append(path).append(" HTTP/1.1\r\n");
    request.append("Host: 127.0.0.1\r\n");
    for (int i = 0; i < headers.length; i += 2) {
      request.append(headers[i]).append(": ").append(headers[i + 1]).append("\r\n");
    }
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    if (!body.isEmpty() || method.equals("POST")) {
      request.append("Content-Length: ").append(bytes.length).append("\r\n");
    }
    request.append("\r\n");
    out.write(request.toString().getBytes(StandardCharsets.ISO_8859_1));
    out.write(bytes);
    out.flush();
  }

  void sendRaw(String text) throws IOException {
    out.write(text.getBytes(StandardCharsets.UTF_8));
    out.flush();
  }

  /** A response head. */
  static final class Head {
    final int status;
    final Map<String, String> headers = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);

    Head(int status) {
      this.status = status;
    }

    String header(String name) {
      return headers.get(name);
    }
  }

  Head readHead() throws IOException {
    String statusLine = readLine();
    Head head = new Head(Integer.parseInt(statusLine.split(" ")[1]));
    for (String line = readLine(); !line.isEmpty(); line = readLine()) {
      int colon = line.indexOf(':');
      head.headers.put(line.substring(0, colon), line.substring(colon + 1).strip());
    }
    return head;
  }

  /** A Content-Length body. */
  String readBody(Head head) throws IOException {
    int length = Integer.parseInt(head.header("Content-Length"));
    return new String(in.readNBytes(length), StandardCharsets.UTF_8);
  }

  /**
   * The next chunk's data, or null for the terminating zero-size chunk. Throws EOFException when
   * the connection ends inside a chunk or where a chunk should start.
   */
  byte[] readChunk() throws IOException {
    String size = readLine();
    int length = Integer.parseInt(size.strip().toLowerCase(Locale.ROOT), 16);
    if (length == 0) {
      if (!readLine().isEmpty()) {
        throw new IOException("trailers not expected");
      }
      return null;
    }
    byte[] data = in.readNBytes(length);
    if (data.length < length) {
      throw new TruncatedChunkException(length, data);
    }
    if (!readLine().isEmpty()) {
      throw new IOException("chunk not followed by CRLF");
    }
    return data;
  }

  String readChunkText() throws IOException {
    byte[] chunk = readChunk();
    return chunk == null ? null : new String(chunk, StandardCharsets.UTF_8);
  }

  /** True when the server has closed the connection (end of stream at once). */
  boolean atEof() throws IOException {
    return in.read() < 0;
  }

  private String readLine() throws IOException {
    ByteArrayOutputStream line = new ByteArrayOutputStream();
    while (true) {
      int b = in.read();
      if (b < 0) {
        throw new EOFException("connection closed; line so far: " + line);
      }
      if (b == '\n') {
        break;
      }
      if (b != '\r') {
        line.write(b);
      }
    }
    return line.toString(StandardCharsets.ISO_8859_1);
  }

  @Override
  public void close() throws IOException {
    socket.close();
  }

  /** A chunk that announced more bytes than arrived before the connection ended. */
  static final class TruncatedChunkException extends EOFException {
    private static final long serialVersionUID = 1L;
    final int announced;
    final transient byte[] received;

    TruncatedChunkException(int announced, byte[] received) {
      super("chunk announced " + announced + " bytes, got " + received.length);
      this.announced = announced;
      this.received = received;
    }
  }
}
