package dev.keyway.ollama.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.StandardSocketOptions;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.Deque;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@link ChannelSocket.HeadStream}, the socket input OkHttp reads: armed, it hands out bytes up to
 * the end of the response head and no further, and holds the body's first bytes for
 * {@link ChannelSocket.HeadStream#hijack()}; read on, it passes through, held bytes first. The
 * socket's input is an in-memory stream that hands out one "segment" (one TCP read) per read.
 */
@Timeout(10)
class ChannelSocketTest {
  static final String HEAD_CRLF = "HTTP/1.1 200 OK\r\nContent-Type: application/x-ndjson\r\n"
      + "Transfer-Encoding: chunked\r\n\r\n";
  static final String HEAD_LF = "HTTP/1.1 200 OK\nContent-Type: application/x-ndjson\n"
      + "Transfer-Encoding: chunked\n\n";
  static final String BODY = "c\r\n{\"done\":false\r\n0\r\n\r\n";
  /** What Okio asks a socket for at a time. */
  static final int OKIO = 8192;

  /** Hands out one segment (or what is left of it) per read, then -1. */
  static final class Segments extends InputStream {
    final Deque<byte[]> segments = new ArrayDeque<>();
    int reads;

    Segments(String... parts) {
      for (String p : parts) {
        segments.add(p.getBytes(StandardCharsets.ISO_8859_1));
      }
    }

    @Override
    public int read() {
      throw new AssertionError("HeadStream reads in blocks");
    }

    @Override
    public int read(byte[] b, int off, int len) {
      reads++;
      byte[] s = segments.poll();
      if (s == null) {
        return -1;
      }
      int n = Math.min(len, s.length);
      System.arraycopy(s, 0, b, off, n);
      if (n < s.length) {
        segments.push(Arrays.copyOfRange(s, n, s.length));
      }
      return n;
    }
  }

  static ChannelSocket.HeadStream armed(Segments raw) {
    ChannelSocket.HeadStream head = new ChannelSocket.HeadStream();
    head.raw = raw;
    head.arm();
    return head;
  }

  /** What OkHttp reading {@code in} until the head ends (or the stream does) gets. */
  static String readHead(InputStream in, int chunk) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    byte[] b = new byte[chunk];
    while (!out.toString(StandardCharsets.ISO_8859_1).contains("\r\n\r\n")
        && !out.toString(StandardCharsets.ISO_8859_1).contains("\n\n")) {
      int n = in.read(b, 0, b.length);
      if (n < 0) {
        break;
      }
      out.write(b, 0, n);
    }
    return out.toString(StandardCharsets.ISO_8859_1);
  }

  static String readAll(InputStream in) throws IOException {
    return new String(in.readAllBytes(), StandardCharsets.ISO_8859_1);
  }

  @ParameterizedTest
  @ValueSource(strings = {HEAD_CRLF, HEAD_LF})
  void aHeadAndBodyInOneReadAreHandedOutUpToTheHeadsEndAndTheBodyIsHeld(String head) throws IOException {
    Segments raw = new Segments(head + BODY, "more");
    ChannelSocket.HeadStream in = armed(raw);

    byte[] b = new byte[OKIO];
    int n = in.read(b, 0, b.length);
    assertThat(new String(b, 0, n, StandardCharsets.ISO_8859_1)).isEqualTo(head);
    assertThat(in.holding()).isTrue();
    assertThat(new String(in.hijack(), StandardCharsets.ISO_8859_1)).isEqualTo(BODY);
    assertThat(in.holding()).isFalse();
    // OkHttp's reads end; the socket's input is the relay's now, untouched
    assertThat(in.read(b, 0, b.length)).isEqualTo(-1);
    assertThat(in.read()).isEqualTo(-1);
    assertThat(in.available()).isZero();
    assertThat(raw.reads).isEqualTo(1);
    assertThat(raw.segments).hasSize(1);
  }

  /** Every cut of head and body into two reads, and reads of every size OkHttp could make. */
  @ParameterizedTest
  @ValueSource(strings = {HEAD_CRLF, HEAD_LF})
  void theHeadsEndIsFoundWhereverTheReadsCutIt(String head) throws IOException {
    String all = head + BODY;
    for (int cut = 1; cut < all.length(); cut++) {
      for (int chunk : new int[] {1, 2, 3, 7, OKIO}) {
        String about = "cut " + cut + ", reads of " + chunk;
        ChannelSocket.HeadStream in = armed(new Segments(all.substring(0, cut), all.substring(cut)));
        assertThat(readHead(in, chunk)).as(about).isEqualTo(head);
        assertThat(in.holding()).as(about).isTrue();
        // held: the body bytes of the read that ended the head (the first, or else the second)
        String held = cut >= head.length() ? all.substring(head.length(), cut) : BODY;
        assertThat(new String(in.hijack(), StandardCharsets.ISO_8859_1)).as(about).isEqualTo(held);
        assertThat(in.read(new byte[8], 0, 8)).as(about).isEqualTo(-1);
      }
    }
  }

  /** A head longer than the stream's buffer (8 KiB) takes several fills; its end is still found. */
  @Test
  void aHeadLongerThanTheBufferIsHandedOutWholeAndTheBodyHeld() throws IOException {
    String head = "HTTP/1.1 200 OK\r\nX-Long: " + "v".repeat(20_000) + "\r\nTransfer-Encoding: chunked\r\n\r\n";
    Segments raw = new Segments(head + BODY);
    ChannelSocket.HeadStream in = armed(raw);
    assertThat(readHead(in, OKIO)).isEqualTo(head);
    assertThat(in.holding()).isTrue();
    assertThat(new String(in.hijack(), StandardCharsets.ISO_8859_1)).isEqualTo(BODY);
  }

  @Test
  void aHeadEndingExactlyAtTheReadsEndHoldsNothing() throws IOException {
    Segments raw = new Segments(HEAD_CRLF, BODY);
    ChannelSocket.HeadStream in = armed(raw);
    assertThat(readHead(in, OKIO)).isEqualTo(HEAD_CRLF);
    assertThat(in.holding()).isTrue();
    assertThat(in.hijack()).isEmpty();
    assertThat(raw.segments).hasSize(1); // the body was not read
  }

  @Test
  void readingOnAfterTheHeadPassesThroughWithTheHeldBytesFirst() throws IOException {
    Segments raw = new Segments(HEAD_CRLF + "c\r\n{\"done\":", "false\r\n0\r\n\r\n", "next");
    ChannelSocket.HeadStream in = armed(raw);
    assertThat(readHead(in, OKIO)).isEqualTo(HEAD_CRLF);
    assertThat(in.holding()).isTrue();

    byte[] b = new byte[OKIO];
    int n = in.read(b, 0, b.length); // OkHttp reads the body itself: not hijacked
    assertThat(in.holding()).isFalse();
    assertThat(new String(b, 0, n, StandardCharsets.ISO_8859_1)).isEqualTo("c\r\n{\"done\":");
    assertThat(readAll(in)).isEqualTo("false\r\n0\r\n\r\nnext");
    assertThatThrownBy(in::hijack).isInstanceOf(IllegalStateException.class);
  }

  @Test
  void aDisarmedStreamPassesEverythingThroughAsItIsRead() throws IOException {
    Segments raw = new Segments(HEAD_CRLF + BODY, HEAD_LF + BODY);
    ChannelSocket.HeadStream in = new ChannelSocket.HeadStream();
    in.raw = raw;
    byte[] b = new byte[OKIO];
    int n = in.read(b, 0, b.length);
    assertThat(new String(b, 0, n, StandardCharsets.ISO_8859_1)).isEqualTo(HEAD_CRLF + BODY);
    assertThat(in.holding()).isFalse();
    assertThatThrownBy(in::hijack).isInstanceOf(IllegalStateException.class);

    in.arm();
    in.disarm(); // the request was not relayable after all
    assertThat(readAll(in)).isEqualTo(HEAD_LF + BODY);
    assertThat(in.holding()).isFalse();
  }

  @Test
  void aStreamDisarmedWhileHoldingPassesTheHeldBytesOn() throws IOException {
    ChannelSocket.HeadStream in = armed(new Segments(HEAD_CRLF + BODY));
    assertThat(readHead(in, OKIO)).isEqualTo(HEAD_CRLF);
    in.disarm(); // not hijackable: a 404, or not chunked
    assertThat(in.holding()).isFalse();
    assertThat(readAll(in)).isEqualTo(BODY);
  }

  @Test
  void aConnectionReusedAfterAPassedThroughAnswerIsArmedAgain() throws IOException {
    String unary = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}";
    Segments raw = new Segments(unary, HEAD_LF + BODY);
    ChannelSocket.HeadStream in = armed(raw);
    assertThat(readHead(in, OKIO)).isEqualTo("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n");
    in.disarm();
    byte[] b = new byte[2];
    assertThat(in.read(b, 0, 2)).isEqualTo(2);

    in.arm(); // the next request on the same connection
    assertThat(readHead(in, OKIO)).isEqualTo(HEAD_LF);
    assertThat(new String(in.hijack(), StandardCharsets.ISO_8859_1)).isEqualTo(BODY);
  }

  @Test
  void anEndBeforeTheHeadsEndIsTheEnd() throws IOException {
    ChannelSocket.HeadStream in = armed(new Segments("HTTP/1.1 200 OK\r\n"));
    assertThat(readHead(in, OKIO)).isEqualTo("HTTP/1.1 200 OK\r\n");
    assertThat(in.holding()).isFalse();
    assertThat(in.read(new byte[4], 0, 4)).isEqualTo(-1);
  }

  /** The factory's sockets on loopback: bytes both ways, SO_TIMEOUT honoured, closed for the peer. */
  @Test
  void aChannelSocketIsASocketOnLoopback() throws Exception {
    try (ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      Socket unconnected = ChannelSocket.Factory.INSTANCE.createSocket();
      assertThat(unconnected.toString()).startsWith("ChannelSocket[");
      unconnected.close();

      try (Socket client = ChannelSocket.Factory.INSTANCE.createSocket(
              InetAddress.getLoopbackAddress(), server.getLocalPort());
          Socket peer = server.accept()) {
        assertThat(client).isInstanceOf(ChannelSocket.class);
        assertThat(client.getChannel()).isNotNull();
        assertThat(client.getChannel().isConnected()).isTrue();
        assertThat(client.toString()).startsWith("ChannelSocket[").doesNotContain("unconnected");
        assertThat(client.getPort()).isEqualTo(server.getLocalPort());

        client.getOutputStream().write("ping".getBytes(StandardCharsets.US_ASCII));
        client.getOutputStream().flush();
        assertThat(peer.getInputStream().readNBytes(4)).asString(StandardCharsets.US_ASCII).isEqualTo("ping");
        peer.getOutputStream().write("pong".getBytes(StandardCharsets.US_ASCII));
        peer.getOutputStream().flush();
        assertThat(client.getInputStream().readNBytes(4)).asString(StandardCharsets.US_ASCII).isEqualTo("pong");

        // what OkHttp's read timeout rests on before the answer's head
        client.setSoTimeout(200);
        assertThat(client.getSoTimeout()).isEqualTo(200);
        assertThatThrownBy(() -> client.getInputStream().read(new byte[4], 0, 4))
            .isInstanceOf(SocketTimeoutException.class);

        client.close();
        assertThat(client.isClosed()).isTrue();
        peer.setSoTimeout(5_000);
        assertThat(peer.getInputStream().read()).isEqualTo(-1);
      }
    }
  }

  /**
   * What a caller's event listener may set or ask of {@code Connection.socket()} reaches the
   * connection's own socket, not a second, unconnected one the {@link Socket} base class would
   * make for it (with a file descriptor of its own).
   */
  @Test
  void socketOptionsReachTheChannelsSocket() throws Exception {
    try (ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
        Socket client = ChannelSocket.Factory.INSTANCE.createSocket(
            InetAddress.getLoopbackAddress(), server.getLocalPort());
        Socket peer = server.accept()) {
      SocketChannel channel = client.getChannel();
      assertThat(channel.getOption(StandardSocketOptions.SO_KEEPALIVE)).isFalse();
      client.setOption(StandardSocketOptions.SO_KEEPALIVE, true);
      assertThat(channel.getOption(StandardSocketOptions.SO_KEEPALIVE)).isTrue();
      channel.setOption(StandardSocketOptions.TCP_NODELAY, true);
      assertThat(client.getOption(StandardSocketOptions.TCP_NODELAY)).isTrue();
      assertThat(client.supportedOptions()).isEqualTo(channel.socket().supportedOptions());
      client.setOOBInline(true);
      assertThat(channel.socket().getOOBInline()).isTrue();
      client.sendUrgentData(1); // on the connection: the peer, inline, would read it
      client.setTrafficClass(0x10);
      assertThat(client.getTrafficClass()).isEqualTo(channel.socket().getTrafficClass());
    }
  }
}
