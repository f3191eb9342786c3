package dev.keyway.ollama.internal;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.net.SocketAddress;
import java.net.SocketException;
import java.net.SocketImpl;
import java.net.SocketOption;
import java.nio.channels.SocketChannel;
import java.util.Arrays;
import java.util.Set;
import okhttp3.Connection;
import okhttp3.Interceptor;
import okhttp3.Protocol;
import okhttp3.Request;
import okhttp3.Response;
import org.jspecify.annotations.Nullable;

/**
 * A plain-http connection's socket backed by a {@link SocketChannel}, so that a relayed stream's
 * body can be handed from OkHttp to {@link RelayLoop}, which reads it without a thread of its own.
 * OkHttp reads the status line and headers as it always does; for a request marked
 * {@link #RELAYABLE}, the socket hands OkHttp the bytes up to the end of the response's headers
 * and no further, so that the body's first bytes, if they came in the same read, stay here for
 * {@link #hijack()}. An answer OkHttp goes on reading itself (every other one) is read through as
 * before. A hijacked connection is never reused: OkHttp sees its body end early and drops it.
 *
 * <p>Everything OkHttp and a caller's event listener ask of a socket is delegated to the channel's
 * own socket adaptor, which keeps {@code SO_TIMEOUT} and the connect timeout as a
 * {@link Socket}'s.
 */
final class ChannelSocket extends Socket {
  /** The tag that lets a request's answer be hijacked; see {@link #proceed}. */
  static final Relayable RELAYABLE = new Relayable();

  /** The type of {@link #RELAYABLE}. */
  static final class Relayable {
    private Relayable() {}
  }

  /**
   * Creates channel-backed sockets, with {@code TCP_NODELAY} as every socket Keyway opens; plain
   * http only (TLS wraps the socket it is given).
   */
  static final class Factory extends NoDelaySocketFactory {
    static final Factory INSTANCE = new Factory();

    @Override
    Socket newSocket() throws IOException {
      return new ChannelSocket(SocketChannel.open());
    }
  }

  /**
   * For a network interceptor: sends {@code request} and, when it is {@link #RELAYABLE} and its
   * 2xx answer is chunked, uncompressed HTTP/1.1 on a channel socket, keeps that socket on the
   * request's {@link Transport.Attempt} for {@link RelayedResponse#relayTo}.
   */
  static Response proceed(Interceptor.Chain chain, Request request) throws IOException {
    Transport.Attempt attempt = request.tag(Transport.Attempt.class);
    Connection connection = chain.connection();
    if (attempt == null || request.tag(Relayable.class) == null || connection == null
        || !(connection.socket() instanceof ChannelSocket socket)) {
      return chain.proceed(request);
    }
    attempt.held = null;
    socket.head.arm();
    Response response;
    try {
      response = chain.proceed(request);
    } catch (IOException | RuntimeException | Error e) {
      socket.head.disarm();
      throw e;
    }
    if (hijackable(response) && socket.head.holding()) {
      attempt.held = socket;
    } else {
      socket.head.disarm();
    }
    return response;
  }

  /** A 2xx HTTP/1.1 answer whose body is chunked and not encoded: the framing the loop reads. */
  static boolean hijackable(Response response) {
    String encoding = response.header("Content-Encoding");
    return response.isSuccessful() && response.protocol() == Protocol.HTTP_1_1
        && "chunked".equalsIgnoreCase(response.header("Transfer-Encoding"))
        && (encoding == null || encoding.equalsIgnoreCase("identity"));
  }

  private final SocketChannel channel;
  private final Socket adaptor;
  private final HeadStream head = new HeadStream();

  private ChannelSocket(SocketChannel channel) throws SocketException {
    super((SocketImpl) null);
    this.channel = channel;
    this.adaptor = channel.socket();
  }

  /**
   * Takes the connection from OkHttp: the body bytes already read, after which OkHttp's reads of
   * this socket end. Only while the socket holds an answer (right after {@link #proceed}).
   */
  byte[] hijack() {
    return head.hijack();
  }

  /**
   * Gives the connection back to OkHttp after a relay read its body to the end, with nothing
   * after it: OkHttp, which never read the body, is shown its end (a last chunk with no trailers),
   * so it keeps the connection for the next call. The channel must be in blocking mode again.
   */
  void restore() {
    head.restore();
  }

  /** Whether the socket holds an answer OkHttp has not read past its headers. */
  boolean holding() {
    return head.holding();
  }

  @Override
  public SocketChannel getChannel() {
    return channel;
  }

  @Override
  public void connect(SocketAddress endpoint) throws IOException {
    adaptor.connect(endpoint);
  }

  @Override
  public void connect(SocketAddress endpoint, int timeout) throws IOException {
    adaptor.connect(endpoint, timeout);
  }

  @Override
  public void bind(@Nullable SocketAddress bindpoint) throws IOException {
    adaptor.bind(bindpoint);
  }

  @Override
  public InputStream getInputStream() throws IOException {
    head.raw = adaptor.getInputStream();
    return head;
  }

  @Override
  public OutputStream getOutputStream() throws IOException {
    return adaptor.getOutputStream();
  }

  @Override
  public @Nullable InetAddress getInetAddress() {
    return adaptor.getInetAddress();
  }

  @Override
  public InetAddress getLocalAddress() {
    return adaptor.getLocalAddress();
  }

  @Override
  public int getPort() {
    return adaptor.getPort();
  }

  @Override
  public int getLocalPort() {
    return adaptor.getLocalPort();
  }

  @Override
  public @Nullable SocketAddress getRemoteSocketAddress() {
    return adaptor.getRemoteSocketAddress();
  }

  @Override
  public @Nullable SocketAddress getLocalSocketAddress() {
    return adaptor.getLocalSocketAddress();
  }

  @Override
  public void setTcpNoDelay(boolean on) throws SocketException {
    adaptor.setTcpNoDelay(on);
  }

  @Override
  public boolean getTcpNoDelay() throws SocketException {
    return adaptor.getTcpNoDelay();
  }

  @Override
  public void setSoLinger(boolean on, int linger) throws SocketException {
    adaptor.setSoLinger(on, linger);
  }

  @Override
  public int getSoLinger() throws SocketException {
    return adaptor.getSoLinger();
  }

  @Override
  public void setSoTimeout(int timeout) throws SocketException {
    adaptor.setSoTimeout(timeout);
  }

  @Override
  public int getSoTimeout() throws SocketException {
    return adaptor.getSoTimeout();
  }

  @Override
  public void setSendBufferSize(int size) throws SocketException {
    adaptor.setSendBufferSize(size);
  }

  @Override
  public int getSendBufferSize() throws SocketException {
    return adaptor.getSendBufferSize();
  }

  @Override
  public void setReceiveBufferSize(int size) throws SocketException {
    adaptor.setReceiveBufferSize(size);
  }

  @Override
  public int getReceiveBufferSize() throws SocketException {
    return adaptor.getReceiveBufferSize();
  }

  @Override
  public void setKeepAlive(boolean on) throws SocketException {
    adaptor.setKeepAlive(on);
  }

  @Override
  public boolean getKeepAlive() throws SocketException {
    return adaptor.getKeepAlive();
  }

  @Override
  public void setReuseAddress(boolean on) throws SocketException {
    adaptor.setReuseAddress(on);
  }

  @Override
  public boolean getReuseAddress() throws SocketException {
    return adaptor.getReuseAddress();
  }

  @Override
  public void setTrafficClass(int tc) throws SocketException {
    adaptor.setTrafficClass(tc);
  }

  @Override
  public int getTrafficClass() throws SocketException {
    return adaptor.getTrafficClass();
  }

  @Override
  public void setOOBInline(boolean on) throws SocketException {
    adaptor.setOOBInline(on);
  }

  @Override
  public boolean getOOBInline() throws SocketException {
    return adaptor.getOOBInline();
  }

  @Override
  public void sendUrgentData(int data) throws IOException {
    adaptor.sendUrgentData(data);
  }

  @Override
  public void setPerformancePreferences(int connectionTime, int latency, int bandwidth) {
    adaptor.setPerformancePreferences(connectionTime, latency, bandwidth);
  }

  // Without these, Socket's own would act on a second, unconnected socket it makes for itself.
  @Override
  public <T> Socket setOption(SocketOption<T> name, T value) throws IOException {
    adaptor.setOption(name, value);
    return this;
  }

  @Override
  public <T> T getOption(SocketOption<T> name) throws IOException {
    return adaptor.getOption(name);
  }

  @Override
  public Set<SocketOption<?>> supportedOptions() {
    return adaptor.supportedOptions();
  }

  @Override
  public void close() throws IOException {
    adaptor.close();
  }

  @Override
  public void shutdownInput() throws IOException {
    adaptor.shutdownInput();
  }

  @Override
  public void shutdownOutput() throws IOException {
    adaptor.shutdownOutput();
  }

  @Override
  public boolean isConnected() {
    return adaptor.isConnected();
  }

  @Override
  public boolean isBound() {
    return adaptor.isBound();
  }

  @Override
  public boolean isClosed() {
    return adaptor.isClosed();
  }

  @Override
  public boolean isInputShutdown() {
    return adaptor.isInputShutdown();
  }

  @Override
  public boolean isOutputShutdown() {
    return adaptor.isOutputShutdown();
  }

  @Override
  public String toString() {
    return "ChannelSocket" + adaptor.toString().substring(adaptor.toString().indexOf('['));
  }

  /**
   * The socket's input as OkHttp reads it. Passing through, it is the adaptor's stream itself.
   * Armed, it reads into its own buffer and hands out bytes up to the end of the next header block
   * only (a line feed, an optional carriage return and a line feed); then it holds the rest until
   * OkHttp reads on (the answer is not hijacked: it passes through again, the held bytes first) or
   * {@link #hijack()} takes it (OkHttp's reads end).
   */
  static final class HeadStream extends InputStream {
    private static final int PASS = 0;
    private static final int ARMED = 1;
    private static final int HOLDING = 2;
    private static final int HIJACKED = 3;
    private static final byte[] LAST_CHUNK = {'0', '\r', '\n', '\r', '\n'};
    private static final byte[] NO_BYTES = new byte[0];
    private static final int BUFFER_BYTES = 2048;

    @Nullable InputStream raw;
    private volatile int mode = PASS;
    /**
     * Bytes read while armed, allocated on the first arming (most connections never hold an
     * answer); a head longer than it is scanned over several reads.
     */
    private byte[] buf = NO_BYTES;
    /** Unread bytes of {@link #buf}: [pos, lim). */
    private int pos;
    private int lim;
    /** Where the header scan is in {@link #buf}, and after what: 0, a line feed (1), LF CR (2). */
    private int scanned;
    private int seen;
    /** The index just past the header block's end in {@link #buf} once found, else -1. */
    private int found = -1;

    void arm() {
      if (buf.length == 0) {
        buf = new byte[BUFFER_BYTES];
      }
      mode = ARMED;
      scanned = pos;
      seen = 0;
      found = -1;
    }

    void disarm() {
      if (mode == ARMED || mode == HOLDING) {
        mode = PASS;
      }
    }

    boolean holding() {
      return mode == HOLDING;
    }

    byte[] hijack() {
      if (mode != HOLDING) {
        throw new IllegalStateException("the answer is not held");
      }
      mode = HIJACKED;
      byte[] rest = Arrays.copyOfRange(buf, pos, lim);
      pos = lim;
      return rest;
    }

    void restore() {
      if (mode != HIJACKED || pos != lim) {
        throw new IllegalStateException("the answer was not hijacked");
      }
      System.arraycopy(LAST_CHUNK, 0, buf, 0, LAST_CHUNK.length);
      pos = 0;
      lim = LAST_CHUNK.length;
      mode = PASS;
    }

    @Override
    public int read() throws IOException {
      byte[] one = new byte[1];
      int n = read(one, 0, 1);
      return n <= 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      int m = mode;
      if (m == HIJACKED) {
        return -1;
      }
      if (m == HOLDING) {
        mode = m = PASS; // OkHttp reads the body itself
      }
      if (len == 0) {
        return 0;
      }
      if (m == PASS) {
        if (pos < lim) {
          int n = Math.min(len, lim - pos);
          System.arraycopy(buf, pos, b, off, n);
          pos += n;
          return n;
        }
        return source().read(b, off, len);
      }
      if (pos == lim) {
        int r = source().read(buf, 0, buf.length);
        if (r <= 0) {
          return r;
        }
        pos = 0;
        lim = r;
        scanned = 0;
        found = -1;
      }
      int end = headEnd();
      int n = Math.min(len, (end < 0 ? lim : end) - pos);
      System.arraycopy(buf, pos, b, off, n);
      pos += n;
      if (pos == end) {
        mode = HOLDING;
      }
      return n;
    }

    /** The index just past the header block's end in {@link #buf}, or -1 when not there yet. */
    private int headEnd() {
      if (found >= 0) {
        return found;
      }
      for (int i = scanned; i < lim; i++) {
        byte c = buf[i];
        if (c == '\n') {
          if (seen != 0) {
            scanned = i + 1;
            seen = 0;
            found = i + 1;
            return found;
          }
          seen = 1;
        } else {
          seen = c == '\r' && seen == 1 ? 2 : 0;
        }
      }
      scanned = lim;
      return -1;
    }

    @Override
    public int available() throws IOException {
      return mode == HIJACKED ? 0 : lim - pos;
    }

    private InputStream source() throws IOException {
      InputStream in = raw;
      if (in == null) {
        throw new IOException("socket not connected");
      }
      return in;
    }

    @Override
    public void close() throws IOException {
      InputStream in = raw;
      if (in != null) {
        in.close();
      }
    }
  }
}
