package dev.keyway.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

/**
 * The light harness's load generator ({@code streams2000 --light true}): ONE platform thread on a
 * NIO {@link Selector} holding N keep-alive connections to the path under test, each sending the
 * request the Keyway client sends for a streamed chat (same headers, same JSON body), parsing the
 * chunked NDJSON answer incrementally (chunk sizes and lines split anywhere across reads) and, for
 * every token line, recording the read's {@link System#nanoTime()} minus the stand-in's stamp in the
 * line. Every line is compared byte for byte with {@link LightStream}'s template of the index it
 * should be (all but the stamp's digits), so a lost, repeated, reordered or altered token fails the
 * run with an {@link IllegalStateException}; so does a failed stream on the direct path. Streams that
 * a proxy ends early are counted as failed, as {@link ProxyHop} counts them. A connection that was
 * idle since its last answer and closes before the first byte of the next is reopened once and the
 * request sent again (as OkHttp does on a stale pooled connection), counted as a retry.
 */
final class LightLoad implements ProxyHop.Session {
  private static final int HEAD = 0;
  private static final int SIZE = 1;
  private static final int DATA = 2;
  private static final int DATA_CR = 3;
  private static final int DATA_LF = 4;
  private static final int TRAILERS = 5;
  private static final int IDLE = 6;

  private final String path;
  private final InetSocketAddress address;
  private final String hostHeader;
  /** The base URL's path, ending in a slash. */
  private final String prefix;
  private final boolean mustNotFail;
  private final Selector selector;
  private final List<Conn> conns = new ArrayList<>();
  private final ByteBuffer readBuffer = ByteBuffer.allocate(64 * 1024);

  // the current run
  private LightStream stream;
  private byte[] request;
  private long[] latencies;
  /** The latencies of tokens {@code rate} and later of each stream: after its first second, once every call has started. */
  private long[] steady;
  private int steadyRecorded;
  private int steadyFrom;
  private static final boolean DEBUG = Boolean.getBoolean("light.debug");
  private long[] arrivals;
  private int recorded;
  private long delivered;
  private int finished;
  private int failed;
  private int retries;
  private String firstError = "";

  /** {@code path} names the path in errors; {@code mustNotFail}: any failed stream fails the run (the direct path). */
  LightLoad(String path, String baseUrl, boolean mustNotFail) {
    this.path = path;
    URI uri = URI.create(baseUrl.endsWith("/") ? baseUrl : baseUrl + "/");
    this.address = new InetSocketAddress(uri.getHost(), uri.getPort());
    this.hostHeader = uri.getHost() + ":" + uri.getPort();
    this.mustNotFail = mustNotFail;
    this.prefix = uri.getRawPath();
    try {
      this.selector = Selector.open();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** One stream's connection and parser state. */
  private static final class Conn {
    final int id;
    SocketChannel channel;
    SelectionKey key;
    /** Answers received complete on this connection (it is a reused keep-alive connection when > 0). */
    int answers;
    boolean retried;
    boolean active;
    long responseBytes;
    ByteBuffer out;
    int state = IDLE;
    byte[] head = new byte[1024];
    int headLen;
    boolean connectionClose;
    int chunkLeft;
    int sizeValue;
    boolean sizeDigits;
    boolean sizeExtension;
    byte[] line = new byte[1024];
    int lineLen;
    int tokens;
    long lastStamp;
    boolean doneLine;

    Conn(int id) {
      this.id = id;
    }
  }

  @Override
  public void run(int streams, int rate, int seconds, ProxyHop.Load load) throws InterruptedException {
    int tokens = rate * seconds;
    stream = LightStream.of(tokens);
    String body = "{\"model\":\"rate-" + tokens + "-" + rate
        + "\",\"messages\":[{\"role\":\"user\",\"content\":\"Why is the sky blue?\"}],\"stream\":true}";
    request = ("POST " + prefix + "api/chat HTTP/1.1\r\nAccept: application/x-ndjson\r\nAccept-Encoding: identity\r\n"
        + "Content-Type: application/json\r\nContent-Length: " + body.getBytes(StandardCharsets.UTF_8).length
        + "\r\nHost: " + hostHeader + "\r\nConnection: Keep-Alive\r\nUser-Agent: keyway-ollama/0.1.0 (Java "
        + Runtime.version().feature() + ")\r\nX-API-Key: " + BenchClient.KEY + "\r\n\r\n" + body)
        .getBytes(StandardCharsets.UTF_8);
    latencies = new long[streams * tokens];
    arrivals = DEBUG ? new long[streams * tokens] : null;
    steadyFrom = Math.min(rate, tokens - 1);
    steady = new long[streams * (tokens - steadyFrom)];
    steadyRecorded = 0;
    recorded = 0;
    delivered = 0;
    finished = 0;
    failed = 0;
    retries = 0;
    firstError = "";
    while (conns.size() < streams) {
      conns.add(new Conn(conns.size()));
    }
    long spread = 1_000_000_000L / rate;
    long start = System.nanoTime();
    long deadline = start + spread + TimeUnit.SECONDS.toNanos(seconds + 60L);
    int started = 0;
    try {
      while (finished < streams) {
        long now = System.nanoTime();
        while (started < streams && start + spread * started / streams - now <= 0) {
          Conn c = conns.get(started++);
          try {
            begin(c);
          } catch (IOException e) {
            lost(c, e.toString());
          }
        }
        if (now - deadline > 0) {
          throw new IllegalStateException(path + ": " + (streams - finished) + " of " + streams
              + " streams did not end within " + (seconds + 60) + " s");
        }
        if (started < streams) {
          long wait = start + spread * started / streams - System.nanoTime();
          if (wait <= 0) {
            selector.selectNow();
          } else {
            selector.select(Math.max(1, (wait + 999_999) / 1_000_000));
          }
        } else {
          selector.select(1000);
        }
        Iterator<SelectionKey> keys = selector.selectedKeys().iterator();
        while (keys.hasNext()) {
          SelectionKey key = keys.next();
          keys.remove();
          Conn c = (Conn) key.attachment();
          if (!key.isValid()) {
            continue;
          }
          try {
            if (key.isConnectable()) {
              c.channel.finishConnect();
              c.key.interestOps(SelectionKey.OP_READ);
              send(c);
            }
            if (key.isValid() && key.isWritable()) {
              c.channel.write(c.out);
              if (!c.out.hasRemaining()) {
                c.key.interestOps(SelectionKey.OP_READ);
              }
            }
            if (key.isValid() && key.isReadable()) {
              read(c);
            }
          } catch (IOException e) {
            lost(c, e.toString());
          }
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    if (mustNotFail && failed > 0) {
      throw new IllegalStateException(path + ": " + failed + " of " + streams + " streams failed, first: " + firstError);
    }
    if (delivered != recorded) {
      throw new IllegalStateException(path + ": counted " + delivered + " tokens but recorded " + recorded);
    }
    if (recorded < (long) (streams - failed) * tokens) {
      throw new IllegalStateException(path + ": " + recorded + " tokens for " + (streams - failed) + " complete streams of "
          + tokens);
    }
    if (DEBUG && load != null) {
      int buckets = (int) ((System.nanoTime() - start) / 250_000_000L) + 1;
      long[] count = new long[buckets];
      long[] slow = new long[buckets];
      long[] max = new long[buckets];
      for (int k = 0; k < recorded; k++) {
        int b = (int) ((arrivals[k] - start) / 250_000_000L);
        count[b]++;
        if (latencies[k] > 5_000_000L) {
          slow[b]++;
        }
        max[b] = Math.max(max[b], latencies[k]);
      }
      for (int b = 0; b < buckets; b++) {
        System.err.printf(Locale.ROOT, "[light %s] %5.2f s: %6d tokens, %5d over 5 ms, max %.1f ms%n", path, b / 4.0,
            count[b], slow[b], max[b] / 1e6);
      }
    }
    if (load != null) {
      long[] sorted = Arrays.copyOf(latencies, recorded);
      Arrays.sort(sorted);
      int n = sorted.length;
      load.tokens = delivered;
      load.failed = failed;
      load.firstError = firstError;
      load.retries = retries;
      load.p50Ms = n == 0 ? Double.NaN : sorted[(int) (n * 0.50)] / 1e6;
      load.p99Ms = n == 0 ? Double.NaN : sorted[Math.min(n - 1, (int) (n * 0.99))] / 1e6;
      load.p999Ms = n == 0 ? Double.NaN : sorted[Math.min(n - 1, (int) (n * 0.999))] / 1e6;
      load.maxMs = n == 0 ? Double.NaN : sorted[n - 1] / 1e6;
      long[] s = Arrays.copyOf(steady, steadyRecorded);
      Arrays.sort(s);
      load.steadyP50Ms = s.length == 0 ? Double.NaN : s[(int) (s.length * 0.50)] / 1e6;
      load.steadyP99Ms = s.length == 0 ? Double.NaN : s[Math.min(s.length - 1, (int) (s.length * 0.99))] / 1e6;
    }
  }

  /** Starts stream {@code c}: on its open connection, or on a new one. */
  private void begin(Conn c) throws IOException {
    c.active = true;
    c.retried = false;
    c.tokens = 0;
    c.lastStamp = Long.MIN_VALUE;
    c.doneLine = false;
    if (c.channel != null && c.channel.isOpen()) {
      send(c);
    } else {
      connect(c);
    }
  }

  private void connect(Conn c) throws IOException {
    c.answers = 0;
    c.channel = SocketChannel.open();
    c.channel.configureBlocking(false);
    c.channel.setOption(StandardSocketOptions.TCP_NODELAY, true);
    if (c.channel.connect(address)) {
      c.key = c.channel.register(selector, SelectionKey.OP_READ, c);
      send(c);
    } else {
      c.key = c.channel.register(selector, SelectionKey.OP_CONNECT, c);
    }
  }

  private void send(Conn c) throws IOException {
    c.state = HEAD;
    c.headLen = 0;
    c.responseBytes = 0;
    c.out = ByteBuffer.wrap(request);
    c.channel.write(c.out);
    if (c.out.hasRemaining()) {
      c.key.interestOps(SelectionKey.OP_READ | SelectionKey.OP_WRITE);
    }
  }

  /** The connection ended or broke while {@code c} was active (or idle, then it is only closed). */
  private void lost(Conn c, String why) throws IOException {
    closeChannel(c);
    if (!c.active) {
      return;
    }
    if (c.responseBytes == 0 && c.answers > 0 && !c.retried) {
      retries++;
      c.retried = true;
      connect(c);
      return;
    }
    fail(c, "closed after " + c.tokens + " tokens: " + why);
  }

  private void fail(Conn c, String why) {
    closeChannel(c);
    c.active = false;
    finished++;
    if (failed++ == 0) {
      firstError = "stream " + c.id + " " + why;
    }
  }

  private void closeChannel(Conn c) {
    if (c.key != null) {
      c.key.cancel();
    }
    if (c.channel != null) {
      try {
        c.channel.close();
      } catch (IOException e) {
        // closed anyway
      }
    }
    c.state = IDLE;
  }

  private void read(Conn c) throws IOException {
    readBuffer.clear();
    int n = c.channel.read(readBuffer);
    long now = System.nanoTime();
    if (n < 0) {
      lost(c, "end of stream");
      return;
    }
    if (!c.active) {
      lost(c, "bytes while idle");
      if (n > 0) {
        throw new IllegalStateException(path + ": stream " + c.id + " got " + n + " bytes while no request was open");
      }
      return;
    }
    c.responseBytes += n;
    byte[] a = readBuffer.array();
    int i = 0;
    while (i < n) {
      if (!c.active) {
        if (c.channel.isOpen()) {
          throw new IllegalStateException(path + ": stream " + c.id + " got " + (n - i) + " bytes after its answer ended");
        }
        return; // failed, or ended with Connection: close
      }
      switch (c.state) {
        case HEAD: {
          byte b = a[i++];
          if (c.headLen == c.head.length) {
            fail(c, "response head over " + c.head.length + " bytes");
            return;
          }
          c.head[c.headLen++] = b;
          if (b == '\n' && c.headLen >= 4 && c.head[c.headLen - 2] == '\r' && c.head[c.headLen - 3] == '\n') {
            String head = new String(c.head, 0, c.headLen, StandardCharsets.ISO_8859_1);
            String lower = head.toLowerCase(Locale.ROOT);
            if (!head.startsWith("HTTP/1.1 200 ")) {
              fail(c, "answered " + head.substring(0, Math.max(0, head.indexOf('\r'))));
              return;
            }
            if (!lower.contains("\r\ntransfer-encoding: chunked\r\n")) {
              fail(c, "answer is not chunked: " + head.replace("\r\n", " | "));
              return;
            }
            c.connectionClose = lower.contains("\r\nconnection: close\r\n");
            c.state = SIZE;
            c.sizeValue = 0;
            c.sizeDigits = false;
            c.sizeExtension = false;
            c.lineLen = 0;
          }
          break;
        }
        case SIZE: {
          byte b = a[i++];
          if (b == '\n') {
            if (!c.sizeDigits) {
              protocol(c, "empty chunk size");
            }
            if (c.sizeValue == 0) {
              c.state = TRAILERS;
              c.headLen = 0;
            } else {
              c.chunkLeft = c.sizeValue;
              c.state = DATA;
            }
            c.sizeValue = 0;
            c.sizeDigits = false;
            c.sizeExtension = false;
          } else if (b == '\r' || c.sizeExtension) {
            // the CR, or a chunk extension
          } else if (b == ';') {
            c.sizeExtension = true;
          } else {
            int d = Character.digit(b, 16);
            if (d < 0) {
              protocol(c, "bad chunk size byte " + b);
            }
            c.sizeValue = c.sizeValue * 16 + d;
            c.sizeDigits = true;
          }
          break;
        }
        case DATA: {
          int take = Math.min(c.chunkLeft, n - i);
          int end = i + take;
          while (i < end) {
            int nl = -1;
            for (int k = i; k < end; k++) {
              if (a[k] == '\n') {
                nl = k;
                break;
              }
            }
            int upTo = nl < 0 ? end : nl + 1;
            append(c, a, i, upTo - i);
            i = upTo;
            if (nl >= 0) {
              line(c, now);
              c.lineLen = 0;
            }
          }
          c.chunkLeft -= take;
          if (c.chunkLeft == 0) {
            c.state = DATA_CR;
          }
          break;
        }
        case DATA_CR:
          if (a[i++] != '\r') {
            protocol(c, "no CR after a chunk");
          }
          c.state = DATA_LF;
          break;
        case DATA_LF:
          if (a[i++] != '\n') {
            protocol(c, "no LF after a chunk");
          }
          c.state = SIZE;
          break;
        case TRAILERS: {
          byte b = a[i++];
          if (b == '\n') {
            if (c.headLen == 0 || (c.headLen == 1 && c.head[0] == '\r')) {
              end(c);
            }
            c.headLen = 0;
          } else {
            c.head[Math.min(c.headLen++, c.head.length - 1)] = b;
          }
          break;
        }
        default:
          throw new IllegalStateException(path + ": stream " + c.id + " got bytes after its answer ended");
      }
    }
  }

  private void append(Conn c, byte[] a, int off, int len) {
    if (c.lineLen + len > c.line.length) {
      if (c.lineLen + len > 1 << 20) {
        protocol(c, "a line over 1 MiB");
      }
      c.line = Arrays.copyOf(c.line, Math.max(c.line.length * 2, c.lineLen + len));
    }
    System.arraycopy(a, off, c.line, c.lineLen, len);
    c.lineLen += len;
  }

  /** One complete NDJSON line of {@code c}'s answer, read at {@code now}. */
  private void line(Conn c, long now) {
    if (c.doneLine) {
      protocol(c, "a line after the done line");
    }
    if (c.tokens < stream.tokens) {
      long stamp = stream.stampIfLine(c.tokens, c.line, 0, c.lineLen);
      if (stamp < 0) {
        protocol(c, "expected token " + c.tokens + ", got " + text(c));
      }
      if (stamp <= c.lastStamp) {
        protocol(c, "token " + c.tokens + " stamped " + stamp + ", not after the previous " + c.lastStamp);
      }
      c.lastStamp = stamp;
      c.tokens++;
      delivered++;
      if (DEBUG) {
        arrivals[recorded] = now;
      }
      latencies[recorded++] = now - stamp;
      if (c.tokens > steadyFrom) {
        steady[steadyRecorded++] = now - stamp;
      }
      return;
    }
    if (!Arrays.equals(c.line, 0, c.lineLen, stream.doneLine, 0, stream.doneLine.length)) {
      protocol(c, "expected the done line after " + c.tokens + " tokens, got " + text(c));
    }
    c.doneLine = true;
  }

  /** The last chunk and the trailers arrived: the answer is complete. */
  private void end(Conn c) throws IOException {
    if (!c.doneLine || c.tokens != stream.tokens || c.lineLen != 0) {
      fail(c, "answer ended after " + c.tokens + " tokens, done line " + c.doneLine);
      return;
    }
    c.state = IDLE;
    c.active = false;
    c.answers++;
    finished++;
    if (c.connectionClose) {
      closeChannel(c);
    }
  }

  private String text(Conn c) {
    return new String(c.line, 0, Math.min(c.lineLen, 300), StandardCharsets.UTF_8).trim();
  }

  /** What the harness cannot accept from any path: fails the run at once. */
  private void protocol(Conn c, String what) {
    throw new IllegalStateException(path + ": stream " + c.id + ": " + what);
  }

  @Override
  public void close() {
    for (Conn c : conns) {
      closeChannel(c);
    }
    try {
      selector.close();
    } catch (IOException e) {
      // closing anyway
    }
  }
}
