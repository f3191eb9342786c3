package dev.keyway.bench;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The Ollama stand-in every client talks to: a raw {@link ServerSocket} on loopback, HTTP/1.1 with
 * keep-alive, one platform thread per connection, answers pre-rendered. The model name picks the
 * answer, so every client library can ask for it without extra headers:
 *
 * <ul>
 *   <li>{@code bench-N}: N content chunks and the done line, written as 16 KiB HTTP chunks as fast as
 *       the socket takes them (rendered once per N and cached);
 *   <li>{@code rate-N-R}: N content chunks at R per second, one HTTP chunk per line, each line's
 *       content the stand-in's {@link System#nanoTime()} when it was written (the clock is shared by
 *       every process on the machine), so a client computes each token's delivery latency;
 *   <li>{@code delay-MS}: a server with a service time: the answer (unary, or the recorded stream)
 *       after MS milliseconds, holding one of the stand-in's {@code slots} meanwhile (requests beyond
 *       the slots queue, as on a GPU server with that many parallel slots);
 *   <li>anything else: the recorded six-line stream {@code chat-stream-basic.ndjson}, in one write.
 * </ul>
 *
 * <p>{@code "stream": false} gets the compact unary answer. {@code GET /bench/stats} answers the
 * number of accepted sockets and served requests. Any credential is accepted (the proxies check it).
 * Connections are served by a platform thread each, or by a virtual thread each when started with
 * {@code virtual} (JDK 21+, so 2,000 slow streams cost the stand-in little).
 */
public final class StandIn implements AutoCloseable {
  private static final Pattern MODEL = Pattern.compile("\"model\"\\s*:\\s*\"([^\"]*)\"");
  private static final Pattern STREAM_FALSE = Pattern.compile("\"stream\"\\s*:\\s*false");
  private static final DateTimeFormatter HTTP_DATE = DateTimeFormatter.RFC_1123_DATE_TIME;

  private final ServerSocket server;
  private final Thread acceptor;
  private final AtomicLong accepted = new AtomicLong();
  private final AtomicLong requests = new AtomicLong();
  private final AtomicInteger open = new AtomicInteger();
  private final Map<Integer, List<byte[]>> fastBodies = new ConcurrentHashMap<>();
  private final List<byte[]> recorded = Wire.chunked(Wire.recordedStream());
  private final byte[] unary = Wire.unaryAnswer();
  private final java.util.concurrent.Executor virtual;
  private final java.util.concurrent.Semaphore slots;
  private volatile boolean closed;

  private StandIn(int port, boolean virtualThreads, int slots) throws IOException {
    if (virtualThreads) {
      try {
        virtual = (java.util.concurrent.Executor) java.util.concurrent.Executors.class
            .getMethod("newVirtualThreadPerTaskExecutor").invoke(null);
      } catch (ReflectiveOperationException e) {
        throw new IllegalStateException("virtual threads need JDK 21+", e);
      }
    } else {
      virtual = null;
    }
    this.slots = slots > 0 ? new java.util.concurrent.Semaphore(slots, true) : null;
    server = new ServerSocket(port, 4096, InetAddress.getLoopbackAddress());
    acceptor = new Thread(this::acceptLoop, "stand-in-accept");
    acceptor.setDaemon(true);
    acceptor.start();
  }

  /** Starts a stand-in on a free loopback port. */
  public static StandIn start() {
    try {
      return new StandIn(0, false, 0);
    } catch (IOException e) {
      throw new IllegalStateException("cannot start the stand-in", e);
    }
  }

  /**
   * Runs the stand-in as its own process (so that a client's process CPU is the client's alone):
   * prints {@code STANDIN-PORT <port>}, then serves until its standard input closes. Arguments:
   * {@code virtual} (a virtual thread per connection), {@code slots=K} (see {@code delay-MS}).
   */
  public static void main(String[] args) throws IOException {
    boolean virtualThreads = false;
    int slots = 0;
    for (String arg : args) {
      if (arg.equals("virtual")) {
        virtualThreads = true;
      } else if (arg.startsWith("slots=")) {
        slots = Integer.parseInt(arg.substring("slots=".length()));
      } else {
        throw new IllegalArgumentException("unknown argument " + arg);
      }
    }
    StandIn standIn = new StandIn(0, virtualThreads, slots);
    System.out.println("STANDIN-PORT " + standIn.port());
    System.out.flush();
    InputStream in = System.in;
    while (in.read() >= 0) {
      // wait for the parent to go away
    }
    standIn.close();
    System.exit(0);
  }

  public int port() {
    return server.getLocalPort();
  }

  public String baseUrl() {
    return "http://127.0.0.1:" + port();
  }

  /** Pre-renders the body of {@code bench-N} so the first request does not pay for it. */
  public void prepare(int chunks) {
    fastBody(chunks);
  }

  private List<byte[]> fastBody(int chunks) {
    return fastBodies.computeIfAbsent(chunks, n -> Wire.chunked(Wire.ndjson(n)));
  }

  private void acceptLoop() {
    while (!closed) {
      Socket socket;
      try {
        socket = server.accept();
      } catch (IOException e) {
        if (closed) {
          return;
        }
        continue;
      }
      accepted.incrementAndGet();
      if (virtual != null) {
        virtual.execute(() -> serve(socket));
        continue;
      }
      Thread t = new Thread(() -> serve(socket), "stand-in-conn");
      t.setDaemon(true);
      t.start();
    }
  }

  private void serve(Socket socket) {
    open.incrementAndGet();
    try (socket) {
      socket.setTcpNoDelay(true);
      InputStream in = new BufferedInputStream(socket.getInputStream(), 8192);
      OutputStream out = socket.getOutputStream();
      while (true) {
        Request request = Request.read(in);
        if (request == null) {
          return;
        }
        requests.incrementAndGet();
        respond(request, out);
        if (request.close) {
          return;
        }
      }
    } catch (SocketException e) {
      // the client went away (for example it closed a stream early): nothing to report
    } catch (IOException | RuntimeException e) {
      if (!closed) {
        System.err.println("[stand-in] " + e);
      }
    } finally {
      open.decrementAndGet();
    }
  }

  private void respond(Request request, OutputStream out) throws IOException {
    String path = request.path;
    int query = path.indexOf('?');
    if (query >= 0) {
      path = path.substring(0, query);
    }
    if (path.equals("/bench/stats")) {
      send(out, 200, "application/json; charset=utf-8", ("{\"accepted\":" + accepted.get() + ",\"requests\":"
          + requests.get() + ",\"open\":" + open.get() + "}").getBytes(StandardCharsets.UTF_8), request.head);
      return;
    }
    if (path.endsWith("/api/chat") && request.method.equals("POST")) {
      String body = new String(request.body, StandardCharsets.UTF_8);
      Matcher m = MODEL.matcher(body);
      String model = m.find() ? m.group(1) : "";
      if (model.startsWith("delay-")) {
        serviceTime(Long.parseLong(model.substring("delay-".length())));
      }
      if (STREAM_FALSE.matcher(body).find()) {
        send(out, 200, "application/json; charset=utf-8", unary, false);
      } else if (model.startsWith("bench-")) {
        streamFast(out, fastBody(Integer.parseInt(model.substring("bench-".length()))));
      } else if (model.startsWith("rate-")) {
        String[] parts = model.split("-");
        streamAtRate(out, Integer.parseInt(parts[1]), Double.parseDouble(parts[2]));
      } else {
        streamFast(out, recorded);
      }
      return;
    }
    if (path.endsWith("/api/version")) {
      send(out, 200, "application/json; charset=utf-8", "{\"version\":\"0.33.0\"}".getBytes(StandardCharsets.UTF_8),
          request.head);
    } else if (path.endsWith("/api/tags") || path.endsWith("/api/ps")) {
      send(out, 200, "application/json; charset=utf-8", "{\"models\":[]}".getBytes(StandardCharsets.UTF_8),
          request.head);
    } else if (path.equals("/") || path.isEmpty()) {
      send(out, 200, "text/plain; charset=utf-8", "Ollama is running".getBytes(StandardCharsets.UTF_8),
          request.head);
    } else {
      send(out, 404, "text/plain", "404 page not found".getBytes(StandardCharsets.UTF_8), request.head);
    }
  }

  /** Holds a slot (when the stand-in has slots) for {@code millis}: the server's service time. */
  private void serviceTime(long millis) throws IOException {
    try {
      if (slots != null) {
        slots.acquire();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted", e);
    }
    try {
      long due = System.nanoTime() + millis * 1_000_000L;
      long wait;
      while ((wait = due - System.nanoTime()) > 0) {
        LockSupport.parkNanos(wait);
      }
    } finally {
      if (slots != null) {
        slots.release();
      }
    }
  }

  private static byte[] streamHead() {
    return ("HTTP/1.1 200 OK\r\nContent-Type: application/x-ndjson\r\nDate: "
        + HTTP_DATE.format(ZonedDateTime.now(java.time.ZoneOffset.UTC)) + "\r\nTransfer-Encoding: chunked\r\n\r\n")
        .getBytes(StandardCharsets.US_ASCII);
  }

  private static void streamFast(OutputStream out, List<byte[]> frames) throws IOException {
    out.write(streamHead());
    for (byte[] frame : frames) {
      out.write(frame);
    }
    out.flush();
  }

  private static void streamAtRate(OutputStream out, int tokens, double perSecond) throws IOException {
    out.write(streamHead());
    out.flush();
    long period = (long) (1e9 / perSecond);
    long start = System.nanoTime();
    for (int i = 0; i < tokens; i++) {
      long due = start + i * period;
      long wait;
      while ((wait = due - System.nanoTime()) > 0) {
        LockSupport.parkNanos(wait);
      }
      byte[] line = Wire.contentLine(i, Long.toString(System.nanoTime())).getBytes(StandardCharsets.UTF_8);
      out.write(Wire.frame(line, 0, line.length));
      out.flush();
    }
    byte[] done = Wire.doneLine(tokens).getBytes(StandardCharsets.UTF_8);
    out.write(Wire.frame(done, 0, done.length));
    out.write("0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
    out.flush();
  }

  private static void send(OutputStream out, int status, String type, byte[] body, boolean head) throws IOException {
    String reason = status == 200 ? "OK" : "Not Found";
    byte[] h = ("HTTP/1.1 " + status + " " + reason + "\r\nContent-Type: " + type + "\r\nDate: "
        + HTTP_DATE.format(ZonedDateTime.now(java.time.ZoneOffset.UTC)) + "\r\nContent-Length: " + body.length
        + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII);
    byte[] all = new byte[h.length + (head ? 0 : body.length)];
    System.arraycopy(h, 0, all, 0, h.length);
    if (!head) {
      System.arraycopy(body, 0, all, h.length, body.length);
    }
    out.write(all);
    out.flush();
  }

  @Override
  public void close() {
    closed = true;
    try {
      server.close();
    } catch (IOException e) {
      // closing anyway
    }
  }

  /** One parsed HTTP/1.1 request. */
  private static final class Request {
    final String method;
    final String path;
    final boolean close;
    final boolean head;
    final byte[] body;

    private Request(String method, String path, boolean close, byte[] body) {
      this.method = method;
      this.path = path;
      this.close = close;
      this.head = method.equals("HEAD");
      this.body = body;
    }

    /** Reads one request, or returns null at a clean end of the connection. */
    static Request read(InputStream in) throws IOException {
      String requestLine = line(in);
      while (requestLine != null && requestLine.isEmpty()) {
        requestLine = line(in);
      }
      if (requestLine == null) {
        return null;
      }
      String[] parts = requestLine.split(" ");
      if (parts.length < 3) {
        throw new IOException("bad request line: " + requestLine);
      }
      long length = 0;
      boolean chunked = false;
      boolean close = parts[2].equals("HTTP/1.0");
      String header;
      while ((header = line(in)) != null && !header.isEmpty()) {
        int colon = header.indexOf(':');
        if (colon < 0) {
          continue;
        }
        String name = header.substring(0, colon).trim().toLowerCase(Locale.ROOT);
        String value = header.substring(colon + 1).trim();
        if (name.equals("content-length")) {
          length = Long.parseLong(value);
        } else if (name.equals("transfer-encoding") && value.toLowerCase(Locale.ROOT).contains("chunked")) {
          chunked = true;
        } else if (name.equals("connection")) {
          close = value.equalsIgnoreCase("close");
        }
      }
      byte[] body;
      if (chunked) {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        while (true) {
          String size = line(in);
          if (size == null) {
            throw new IOException("end of stream in a chunked body");
          }
          int semi = size.indexOf(';');
          int n = Integer.parseInt((semi >= 0 ? size.substring(0, semi) : size).trim(), 16);
          if (n == 0) {
            String trailer;
            while ((trailer = line(in)) != null && !trailer.isEmpty()) {
              // skip trailers
            }
            break;
          }
          b.write(in.readNBytes(n));
          line(in);
        }
        body = b.toByteArray();
      } else {
        body = in.readNBytes((int) length);
      }
      return new Request(parts[0], parts[1], close, body);
    }

    private static String line(InputStream in) throws IOException {
      StringBuilder b = new StringBuilder(64);
      int c;
      while ((c = in.read()) >= 0) {
        if (c == '\n') {
          int end = b.length();
          if (end > 0 && b.charAt(end - 1) == '\r') {
            b.setLength(end - 1);
          }
          return b.toString();
        }
        b.append((char) c);
      }
      return b.length() == 0 ? null : b.toString();
    }
  }
}
