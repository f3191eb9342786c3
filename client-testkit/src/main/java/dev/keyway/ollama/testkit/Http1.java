package dev.keyway.ollama.testkit;

import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Predicate;
import org.jspecify.annotations.Nullable;

/** The small part of HTTP/1.1 the stand-in needs: parse one request, format response heads. */
final class Http1 {
  private static final int MAX_LINE = 16 * 1024;
  private static final int MAX_HEADERS = 200;
  /** Cap on a body read whole. */
  static final int MAX_BODY = 64 * 1024 * 1024;
  /**
   * Cap on a body streamed to its route (blob uploads): larger than any model file a test would
   * upload, but a bound, so a runaway or hostile length cannot keep a connection reading forever.
   */
  static final long MAX_STREAMED_BODY = 64L * 1024 * 1024 * 1024;
  private static final DateTimeFormatter DATE =
      DateTimeFormatter.ofPattern("EEE, dd MMM uuuu HH:mm:ss 'GMT'", Locale.US);

  private Http1() {}

  /**
   * A request as it came off the wire: either with its body read whole and de-chunked ({@link
   * #body}), or, when the caller asked for it, with the body left on the connection to be read
   * through {@link #streamedBody} (then {@link #body} is empty).
   */
  static final class Request {
    final String method;
    final String path;
    final @Nullable String query;
    final String version;
    final List<String[]> headers;
    final byte[] body;
    final @Nullable BodyStream streamedBody;
    final long receivedNanos;

    Request(
        String method,
        String path,
        @Nullable String query,
        String version,
        List<String[]> headers,
        byte[] body,
        @Nullable BodyStream streamedBody,
        long receivedNanos) {
      this.method = method;
      this.path = path;
      this.query = query;
      this.version = version;
      this.headers = headers;
      this.body = body;
      this.streamedBody = streamedBody;
      this.receivedNanos = receivedNanos;
    }

    @Nullable String header(String name) {
      for (String[] header : headers) {
        if (header[0].equalsIgnoreCase(name)) {
          return header[1];
        }
      }
      return null;
    }

    /** HTTP/1.1 keeps the connection unless told to close; HTTP/1.0 closes unless told to keep it. */
    boolean keepAlive() {
      boolean close = false;
      boolean keep = false;
      for (String[] header : headers) {
        if (header[0].equalsIgnoreCase("Connection")) {
          for (String token : header[1].split(",")) {
            close |= token.trim().equalsIgnoreCase("close");
            keep |= token.trim().equalsIgnoreCase("keep-alive");
          }
        }
      }
      return version.equals("HTTP/1.0") ? keep && !close : !close;
    }
  }

  /** The request cannot be parsed; the connection answers 400 and closes. */
  static final class BadRequestException extends IOException {
    private static final long serialVersionUID = 1L;

    BadRequestException(String message) {
      super(message);
    }
  }

  /**
   * Reads one request. Returns null when the peer closed the connection cleanly between requests.
   * Answers {@code Expect: 100-continue} on {@code out} before reading the body. When {@code
   * streamBody} accepts the request head, the body is not read here but left for {@link
   * Request#streamedBody}, up to 64 GiB; otherwise it is read whole, up to 64 MiB. Both are
   * de-chunked by {@link BodyStream}.
   */
  static @Nullable Request read(InputStream in, OutputStream out, Predicate<Request> streamBody)
      throws IOException {
    String requestLine = readLine(in);
    while (requestLine != null && requestLine.isEmpty()) {
      requestLine = readLine(in); // RFC 9112 2.2: ignore empty lines before the request line
    }
    if (requestLine == null) {
      return null;
    }
    long receivedNanos = System.nanoTime();
    String[] parts = requestLine.split(" ", -1);
    if (parts.length != 3 || parts[0].isEmpty() || !parts[2].startsWith("HTTP/1.")) {
      throw new BadRequestException("malformed request line");
    }
    List<String[]> headers = new ArrayList<>();
    while (true) {
      String line = readLine(in);
      if (line == null) {
        throw new EOFException("connection closed inside the request head");
      }
      if (line.isEmpty()) {
        break;
      }
      int colon = line.indexOf(':');
      if (colon <= 0 || headers.size() == MAX_HEADERS) {
        throw new BadRequestException("malformed header");
      }
      String name = line.substring(0, colon);
      if (!name.equals(name.strip())) {
        throw new BadRequestException("whitespace in a header name");
      }
      headers.add(new String[] {name, line.substring(colon + 1).strip()});
    }

    String target = parts[1];
    if (target.startsWith("http://") || target.startsWith("https://")) {
      int slash = target.indexOf('/', target.indexOf("//") + 2);
      target = slash < 0 ? "/" : target.substring(slash);
    }
    int question = target.indexOf('?');
    String path = question < 0 ? target : target.substring(0, question);
    String query = question < 0 ? null : target.substring(question + 1);

    Request head =
        new Request(parts[0], path, query, parts[2], headers, new byte[0], null, receivedNanos);
    boolean streamed = streamBody.test(head);
    String transferEncoding = head.header("Transfer-Encoding");
    String contentLength = head.header("Content-Length");
    boolean chunked =
        transferEncoding != null
            && transferEncoding.toLowerCase(Locale.ROOT).strip().endsWith("chunked");
    if (transferEncoding != null && !chunked) {
      throw new BadRequestException("unsupported transfer coding");
    }
    long length = 0;
    if (!chunked && contentLength != null) {
      try {
        length = Long.parseLong(contentLength);
      } catch (NumberFormatException e) {
        throw new BadRequestException("bad Content-Length");
      }
      if (length < 0 || length > (streamed ? MAX_STREAMED_BODY : MAX_BODY)) {
        throw new BadRequestException("bad Content-Length");
      }
    }
    if ((chunked || length > 0) && "100-continue".equalsIgnoreCase(head.header("Expect"))) {
      out.write("HTTP/1.1 100 Continue\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
      out.flush();
    }
    if (streamed) {
      return new Request(parts[0], path, query, parts[2], headers, new byte[0],
          new BodyStream(in, chunked, length, MAX_STREAMED_BODY), receivedNanos);
    }
    byte[] body = chunked ? new BodyStream(in, true, 0, MAX_BODY).readAllBytes()
        : in.readNBytes((int) length);
    if (body.length != length && !chunked) {
      throw new EOFException("connection closed inside the request body");
    }
    return new Request(parts[0], path, query, parts[2], headers, body, null, receivedNanos);
  }

  /** A line without its CRLF (a bare LF is accepted), or null at end of stream before any byte. */
  static @Nullable String readLine(InputStream in) throws IOException {
    ByteArrayOutputStream line = new ByteArrayOutputStream(128);
    while (true) {
      int b = in.read();
      if (b < 0) {
        if (line.size() == 0) {
          return null;
        }
        throw new EOFException("connection closed inside a line");
      }
      if (b == '\n') {
        break;
      }
      if (line.size() == MAX_LINE) {
        throw new BadRequestException("line too long");
      }
      line.write(b);
    }
    byte[] bytes = line.toByteArray();
    int length = bytes.length > 0 && bytes[bytes.length - 1] == '\r' ? bytes.length - 1 : bytes.length;
    return new String(bytes, 0, length, StandardCharsets.ISO_8859_1);
  }

  /** A response head: status line, {@code Date}, the given headers, blank line. */
  static byte[] head(int status, List<String[]> headers) {
    StringBuilder out = new StringBuilder(160);
    out.append("HTTP/1.1 ").append(status).append(' ').append(reason(status)).append("\r\n");
    out.append("Date: ").append(DATE.format(ZonedDateTime.now(ZoneOffset.UTC))).append("\r\n");
    for (String[] header : headers) {
      out.append(header[0]).append(": ").append(header[1]).append("\r\n");
    }
    return out.append("\r\n").toString().getBytes(StandardCharsets.ISO_8859_1);
  }

  static String reason(int status) {
    switch (status) {
      case 200: return "OK";
      case 201: return "Created";
      case 204: return "No Content";
      case 400: return "Bad Request";
      case 401: return "Unauthorized";
      case 403: return "Forbidden";
      case 404: return "Not Found";
      case 405: return "Method Not Allowed";
      case 408: return "Request Timeout";
      case 413: return "Payload Too Large";
      case 429: return "Too Many Requests";
      case 499: return "Client Closed Request";
      case 500: return "Internal Server Error";
      case 502: return "Bad Gateway";
      case 503: return "Service Unavailable";
      case 504: return "Gateway Timeout";
      default: return status < 300 ? "OK" : status < 500 ? "Client Error" : "Server Error";
    }
  }
}
