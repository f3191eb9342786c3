package dev.keyway.ollama.internal;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import javax.net.SocketFactory;
import org.jspecify.annotations.Nullable;

/**
 * Sockets with Nagle's algorithm off ({@code TCP_NODELAY}), as gRPC, Netty and Go's net package
 * open theirs. With Nagle on, a small write waits until the server has acknowledged the one
 * before it, and a server may hold that acknowledgement back for up to 40 ms. Over HTTP/2 (Caddy
 * with TLS) a caller who stops an answer early resets its stream, and that reset is such a write:
 * the next call's request then waited behind it. Measured with {@code benchmarks.jar tls --stop
 * first} (docs/benchmarks.md): the next call's first chunk came after 43.7 ms at the median with
 * Nagle on, after 0.64 to 0.71 ms with it off.
 *
 * <p>Used only where the caller left OkHttp's default socket factory: a factory of the caller's
 * is kept as it is.
 */
class NoDelaySocketFactory extends SocketFactory {
  /** Plain sockets, for https (TLS is layered over them). */
  static final NoDelaySocketFactory PLAIN = new NoDelaySocketFactory();

  NoDelaySocketFactory() {}

  /** An unconnected socket; subclasses give another kind. */
  Socket newSocket() throws IOException {
    return new Socket();
  }

  @Override
  public final Socket createSocket() throws IOException {
    Socket socket = newSocket();
    try {
      socket.setTcpNoDelay(true);
    } catch (IOException | RuntimeException e) {
      socket.close();
      throw e;
    }
    return socket;
  }

  @Override
  public final Socket createSocket(String host, int port) throws IOException {
    return connect(createSocket(), null, new InetSocketAddress(host, port));
  }

  @Override
  public final Socket createSocket(String host, int port, InetAddress localHost, int localPort)
      throws IOException {
    return connect(createSocket(), new InetSocketAddress(localHost, localPort), new InetSocketAddress(host, port));
  }

  @Override
  public final Socket createSocket(InetAddress host, int port) throws IOException {
    return connect(createSocket(), null, new InetSocketAddress(host, port));
  }

  @Override
  public final Socket createSocket(InetAddress address, int port, InetAddress localAddress, int localPort)
      throws IOException {
    return connect(createSocket(), new InetSocketAddress(localAddress, localPort), new InetSocketAddress(address, port));
  }

  private static Socket connect(Socket socket, @Nullable InetSocketAddress local, InetSocketAddress remote)
      throws IOException {
    try {
      if (local != null) {
        socket.bind(local);
      }
      socket.connect(remote);
    } catch (IOException | RuntimeException e) {
      socket.close();
      throw e;
    }
    return socket;
  }
}
