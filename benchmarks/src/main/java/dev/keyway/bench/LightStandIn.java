package dev.keyway.bench;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.PriorityQueue;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The light harness's stand-in ({@code streams2000 --light true}): one process, ONE platform thread
 * on a NIO {@link Selector}, so that 2,000 slow streams cost next to nothing beside the proxy under
 * test. HTTP/1.1 with keep-alive; {@code POST /api/chat} with model {@code rate-N-R} streams N
 * content lines at R per second per connection as chunked NDJSON, one {@code write} per token
 * (pre-rendered by {@link LightStream}, the stamp filled in just before the write), then the done
 * line with Ollama's counts; the next write of each stream is due from a priority queue of
 * deadlines. Partial writes are kept and finished when the socket takes more. Anything else gets
 * {@link StandIn}'s static answers ({@code "stream": false}: the unary answer; other models: the
 * recorded stream; {@code /api/version}, {@code /api/tags}, {@code /api/ps}, {@code /},
 * {@code /bench/stats}). Prints {@code STANDIN-PORT <port>}, serves until its standard input closes.
 */
final class LightStandIn {
  private static final Pattern MODEL = Pattern.compile("\"model\"\\s*:\\s*\"([^\"]*)\"");
  private static final Pattern STREAM_FALSE = Pattern.compile("\"stream\"\\s*:\\s*false");
  private static final byte[] RECORDED = join(Wire.chunked(Wire.recordedStream()));

  private final Selector selector;
  private final PriorityQueue<Conn> due = new PriorityQueue<>((a, b) -> Long.compare(a.due - b.due, 0));
  private final ByteBuffer scratch = ByteBuffer.allocateDirect(64 * 1024);
  private final ByteBuffer readBuffer = ByteBuffer.allocate(64 * 1024);
  private long accepted;
  private long requests;
  private int open;
  private long dateSecond = -1;
  private String date = "";

  private LightStandIn(Selector selector) {
    this.selector = selector;
  }

  public static void main(String[] args) throws IOException {
    if (args.length > 0) {
      throw new IllegalArgumentException("LightStandIn takes no arguments");
    }
    Selector selector = Selector.open();
    ServerSocketChannel server = ServerSocketChannel.open();
    server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 4096);
    server.configureBlocking(false);
    server.register(selector, SelectionKey.OP_ACCEPT);
    System.out.println("STANDIN-PORT " + ((InetSocketAddress) server.getLocalAddress()).getPort());
    System.out.flush();
    Thread watch = new Thread(() -> {
      InputStream in = System.in;
      try {
        while (in.read() >= 0) {
          // wait for the parent to go away
        }
      } catch (IOException e) {
        // gone
      }
      System.exit(0);
    }, "stand-in-parent-watch");
    watch.setDaemon(true);
    watch.start();
    new LightStandIn(selector).loop();
  }

  /** One connection: its request bytes so far, its unsent bytes, its stream's progress. */
  private static final class Conn {
    final SocketChannel channel;
    SelectionKey key;
    ByteBuffer in = ByteBuffer.allocate(2048);
    /** Bytes the socket did not take yet (read mode), or null. */
    ByteBuffer pending;
    LightStream stream;
    int next;
    long start;
    long period;
    long due;
    boolean closeAfter;
    boolean closed;

    Conn(SocketChannel channel) {
      this.channel = channel;
    }
  }

  private void loop() throws IOException {
    while (true) {
      long now = System.nanoTime();
      Conn c;
      while ((c = due.peek()) != null && c.due - now <= 0) {
        due.poll();
        if (!c.closed) {
          writeToken(c);
        }
      }
      c = due.peek();
      if (c == null) {
        selector.select();
      } else {
        long wait = c.due - System.nanoTime();
        if (wait <= 0) {
          selector.selectNow();
        } else {
          selector.select(Math.max(1, (wait + 999_999) / 1_000_000));
        }
      }
      Iterator<SelectionKey> keys = selector.selectedKeys().iterator();
      while (keys.hasNext()) {
        SelectionKey key = keys.next();
        keys.remove();
        if (!key.isValid()) {
          continue;
        }
        if (key.isAcceptable()) {
          accept((ServerSocketChannel) key.channel());
          continue;
        }
        Conn conn = (Conn) key.attachment();
        try {
          if (key.isWritable()) {
            flushPending(conn);
          }
          if (key.isValid() && key.isReadable()) {
            read(conn);
          }
        } catch (IOException e) {
          close(conn);
        }
      }
    }
  }

  private void accept(ServerSocketChannel server) throws IOException {
    SocketChannel ch;
    while ((ch = server.accept()) != null) {
      ch.configureBlocking(false);
      ch.setOption(StandardSocketOptions.TCP_NODELAY, true);
      Conn conn = new Conn(ch);
      conn.key = ch.register(selector, SelectionKey.OP_READ, conn);
      accepted++;
      open++;
    }
  }

  private void close(Conn conn) {
    if (conn.closed) {
      return;
    }
    conn.closed = true;
    open--;
    conn.key.cancel();
    try {
      conn.channel.close();
    } catch (IOException e) {
      // closing anyway
    }
  }

  private void read(Conn conn) throws IOException {
    readBuffer.clear();
    int n = conn.channel.read(readBuffer);
    if (n < 0) {
      close(conn);
      return;
    }
    if (conn.in.remaining() < n) {
      ByteBuffer bigger = ByteBuffer.allocate(Math.max(conn.in.capacity() * 2, conn.in.position() + n));
      conn.in.flip();
      bigger.put(conn.in);
      conn.in = bigger;
    }
    readBuffer.flip();
    conn.in.put(readBuffer);
    serveRequests(conn);
  }

  /** Answers every complete request buffered, unless a stream is running (its end serves the next). */
  private void serveRequests(Conn conn) throws IOException {
    while (conn.stream == null && !conn.closed) {
      Request request = Request.parse(conn.in);
      if (request == null) {
        return;
      }
      requests++;
      respond(conn, request);
      if (conn.stream == null && request.close) {
        closeWhenSent(conn);
        return;
      }
      conn.closeAfter = request.close;
    }
  }

  private void closeWhenSent(Conn conn) {
    if (conn.pending == null) {
      close(conn);
    } else {
      conn.closeAfter = true;
    }
  }

  private void respond(Conn conn, Request request) throws IOException {
    String path = request.path;
    int query = path.indexOf('?');
    if (query >= 0) {
      path = path.substring(0, query);
    }
    if (path.endsWith("/api/chat") && request.method.equals("POST")) {
      String body = new String(request.body, StandardCharsets.UTF_8);
      Matcher m = MODEL.matcher(body);
      String model = m.find() ? m.group(1) : "";
      if (STREAM_FALSE.matcher(body).find()) {
        send(conn, 200, "application/json; charset=utf-8", Wire.unaryAnswer(), false);
      } else if (model.startsWith("rate-")) {
        String[] parts = model.split("-");
        conn.stream = LightStream.of(Integer.parseInt(parts[1]));
        conn.period = (long) (1e9 / Double.parseDouble(parts[2]));
        conn.next = 0;
        write(conn, ByteBuffer.wrap(streamHead()));
        conn.start = System.nanoTime();
        conn.due = conn.start;
        due.add(conn);
      } else {
        byte[] head = streamHead();
        byte[] all = new byte[head.length + RECORDED.length];
        System.arraycopy(head, 0, all, 0, head.length);
        System.arraycopy(RECORDED, 0, all, head.length, RECORDED.length);
        write(conn, ByteBuffer.wrap(all));
      }
      return;
    }
    if (path.equals("/bench/stats")) {
      send(conn, 200, "application/json; charset=utf-8", ("{\"accepted\":" + accepted + ",\"requests\":" + requests
          + ",\"open\":" + open + "}").getBytes(StandardCharsets.UTF_8), request.head);
    } else if (path.endsWith("/api/version")) {
      send(conn, 200, "application/json; charset=utf-8", "{\"version\":\"0.33.0\"}".getBytes(StandardCharsets.UTF_8),
          request.head);
    } else if (path.endsWith("/api/tags") || path.endsWith("/api/ps")) {
      send(conn, 200, "application/json; charset=utf-8", "{\"models\":[]}".getBytes(StandardCharsets.UTF_8),
          request.head);
    } else if (path.equals("/") || path.isEmpty()) {
      send(conn, 200, "text/plain; charset=utf-8", "Ollama is running".getBytes(StandardCharsets.UTF_8), request.head);
    } else {
      send(conn, 404, "text/plain", "404 page not found".getBytes(StandardCharsets.UTF_8), request.head);
    }
  }

  /** Writes the next token of {@code conn}'s stream (and after the last, the done line), then queues the next. */
  private void writeToken(Conn conn) {
    LightStream s = conn.stream;
    int i = conn.next;
    scratch.clear();
    scratch.put(s.frames[i]);
    LightStream.putStamp(scratch, s.frameStampAt[i], System.nanoTime());
    scratch.flip();
    try {
      write(conn, scratch);
      conn.next = ++i;
      if (i < s.tokens) {
        conn.due = conn.start + i * conn.period;
        due.add(conn);
        return;
      }
      write(conn, ByteBuffer.wrap(s.doneFrames));
      conn.stream = null;
      if (conn.closeAfter) {
        closeWhenSent(conn);
        return;
      }
      serveRequests(conn);
    } catch (IOException e) {
      close(conn);
    }
  }

  /** One write; what the socket does not take is kept (after anything kept before) and sent on OP_WRITE. */
  private void write(Conn conn, ByteBuffer bytes) throws IOException {
    if (conn.closed) {
      return;
    }
    if (conn.pending == null) {
      conn.channel.write(bytes);
      if (!bytes.hasRemaining()) {
        return;
      }
      conn.pending = ByteBuffer.allocate(Math.max(4096, bytes.remaining()));
      conn.pending.flip();
      conn.key.interestOps(SelectionKey.OP_READ | SelectionKey.OP_WRITE);
    }
    ByteBuffer p = conn.pending;
    p.compact();
    if (p.remaining() < bytes.remaining()) {
      ByteBuffer bigger = ByteBuffer.allocate(p.position() + bytes.remaining() + 4096);
      p.flip();
      bigger.put(p);
      p = bigger;
    }
    p.put(bytes);
    p.flip();
    conn.pending = p;
  }

  private void flushPending(Conn conn) throws IOException {
    if (conn.pending == null) {
      conn.key.interestOps(SelectionKey.OP_READ);
      return;
    }
    conn.channel.write(conn.pending);
    if (!conn.pending.hasRemaining()) {
      conn.pending = null;
      conn.key.interestOps(SelectionKey.OP_READ);
      if (conn.closeAfter && conn.stream == null) {
        close(conn);
      }
    }
  }

  private byte[] streamHead() {
    return ("HTTP/1.1 200 OK\r\nContent-Type: application/x-ndjson\r\nDate: " + date()
        + "\r\nTransfer-Encoding: chunked\r\n\r\n").getBytes(StandardCharsets.US_ASCII);
  }

  private void send(Conn conn, int status, String type, byte[] body, boolean head) throws IOException {
    String reason = status == 200 ? "OK" : "Not Found";
    byte[] h = ("HTTP/1.1 " + status + " " + reason + "\r\nContent-Type: " + type + "\r\nDate: " + date()
        + "\r\nContent-Length: " + body.length + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII);
    byte[] all = new byte[h.length + (head ? 0 : body.length)];
    System.arraycopy(h, 0, all, 0, h.length);
    if (!head) {
      System.arraycopy(body, 0, all, h.length, body.length);
    }
    write(conn, ByteBuffer.wrap(all));
  }

  private String date() {
    long second = System.currentTimeMillis() / 1000;
    if (second != dateSecond) {
      dateSecond = second;
      date = DateTimeFormatter.RFC_1123_DATE_TIME.format(ZonedDateTime.now(ZoneOffset.UTC));
    }
    return date;
  }

  private static byte[] join(List<byte[]> parts) {
    int n = 0;
    for (byte[] p : parts) {
      n += p.length;
    }
    byte[] all = new byte[n];
    int at = 0;
    for (byte[] p : parts) {
      System.arraycopy(p, 0, all, at, p.length);
      at += p.length;
    }
    return all;
  }

  /** One HTTP/1.1 request parsed from a connection's buffer (write mode), or null while incomplete. */
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

    static Request parse(ByteBuffer in) throws IOException {
      byte[] a = in.array();
      int end = in.position();
      int start = 0;
      while (start + 1 < end && a[start] == '\r' && a[start + 1] == '\n') {
        start += 2; // blank lines before a request
      }
      int headEnd = indexOf(a, start, end, "\r\n\r\n");
      if (headEnd < 0) {
        if (end - start > 64 * 1024) {
          throw new IOException("request head over 64 KiB");
        }
        return null;
      }
      String[] lines = new String(a, start, headEnd - start, StandardCharsets.ISO_8859_1).split("\r\n");
      String[] parts = lines[0].split(" ");
      if (parts.length < 3) {
        throw new IOException("bad request line");
      }
      long length = 0;
      boolean chunked = false;
      boolean close = parts[2].equals("HTTP/1.0");
      for (int i = 1; i < lines.length; i++) {
        int colon = lines[i].indexOf(':');
        if (colon < 0) {
          continue;
        }
        String name = lines[i].substring(0, colon).trim().toLowerCase(Locale.ROOT);
        String value = lines[i].substring(colon + 1).trim();
        if (name.equals("content-length")) {
          length = Long.parseLong(value);
        } else if (name.equals("transfer-encoding") && value.toLowerCase(Locale.ROOT).contains("chunked")) {
          chunked = true;
        } else if (name.equals("connection")) {
          close = value.equalsIgnoreCase("close");
        }
      }
      int bodyStart = headEnd + 4;
      byte[] body;
      int consumed;
      if (chunked) {
        java.io.ByteArrayOutputStream b = new java.io.ByteArrayOutputStream();
        int at = bodyStart;
        while (true) {
          int lineEnd = indexOf(a, at, end, "\r\n");
          if (lineEnd < 0) {
            return null;
          }
          String size = new String(a, at, lineEnd - at, StandardCharsets.ISO_8859_1);
          int semi = size.indexOf(';');
          int n = Integer.parseInt((semi >= 0 ? size.substring(0, semi) : size).trim(), 16);
          at = lineEnd + 2;
          if (n == 0) {
            int trailersEnd = indexOf(a, at - 2, end, "\r\n\r\n");
            if (trailersEnd < 0) {
              return null;
            }
            consumed = trailersEnd + 4;
            break;
          }
          if (end - at < n + 2) {
            return null;
          }
          b.write(a, at, n);
          at += n + 2;
        }
        body = b.toByteArray();
      } else {
        if (end - bodyStart < length) {
          return null;
        }
        body = java.util.Arrays.copyOfRange(a, bodyStart, bodyStart + (int) length);
        consumed = bodyStart + (int) length;
      }
      System.arraycopy(a, consumed, a, 0, end - consumed);
      in.position(end - consumed);
      return new Request(parts[0], parts[1], close, body);
    }

    private static int indexOf(byte[] a, int from, int to, String s) {
      outer:
      for (int i = from; i <= to - s.length(); i++) {
        for (int k = 0; k < s.length(); k++) {
          if (a[i + k] != s.charAt(k)) {
            continue outer;
          }
        }
        return i;
      }
      return -1;
    }
  }
}
