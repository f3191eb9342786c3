package dev.keyway.bench;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.Iterator;

/**
 * A floor for {@code streams2000 --floor true}, not a proxy anyone should run: ONE thread on a NIO
 * {@link Selector} copying bytes between each accepted connection and a connection of its own to
 * the upstream, both ways, without reading HTTP at all (a TCP relay: keep-alive requests follow
 * their connection). It shows what waiting for all sockets at once costs per token on this machine
 * — the event-driven design a relay would need to meet Caddy's CPU per token — beside the
 * gateway's thread per stream. Prints {@code RELAY-PORT <port>}. Argument: the upstream's port.
 */
final class NioRelay {
  private static final int BUFFER = 16 * 1024;

  /** One direction of a pair: reads {@code from}, writes {@code to}; a partial write waits for OP_WRITE. */
  private static final class Pipe {
    final SocketChannel from;
    final SocketChannel to;
    final ByteBuffer buffer = ByteBuffer.allocateDirect(BUFFER);
    SelectionKey fromKey;
    SelectionKey toKey;
    Pipe reverse;

    Pipe(SocketChannel from, SocketChannel to) {
      this.from = from;
      this.to = to;
    }
  }

  public static void main(String[] args) throws IOException {
    InetSocketAddress upstream = new InetSocketAddress(InetAddress.getLoopbackAddress(), Integer.parseInt(args[0]));
    Selector selector = Selector.open();
    ServerSocketChannel server = ServerSocketChannel.open();
    server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 4096);
    server.configureBlocking(false);
    server.register(selector, SelectionKey.OP_ACCEPT);
    System.out.println("RELAY-PORT " + server.socket().getLocalPort());
    System.out.flush();
    while (true) {
      selector.select();
      Iterator<SelectionKey> keys = selector.selectedKeys().iterator();
      while (keys.hasNext()) {
        SelectionKey key = keys.next();
        keys.remove();
        try {
          if (!key.isValid()) {
            continue;
          }
          if (key.isAcceptable()) {
            accept(server, upstream, selector);
            continue;
          }
          // Each channel's key carries the pipe that reads it; writes wait on the same key.
          Pipe reading = (Pipe) key.attachment();
          if (key.isWritable()) {
            flush(reading.reverse);
          }
          if (key.isValid() && key.isReadable()) {
            read(reading);
          }
        } catch (IOException e) {
          Pipe p = (Pipe) key.attachment();
          if (p != null) {
            close(p);
          }
        }
      }
    }
  }

  private static void accept(ServerSocketChannel server, InetSocketAddress upstream, Selector selector) throws IOException {
    SocketChannel down;
    while ((down = server.accept()) != null) {
      SocketChannel up = SocketChannel.open();
      up.setOption(StandardSocketOptions.TCP_NODELAY, true);
      up.connect(upstream); // blocking: loopback, at accept time only
      up.configureBlocking(false);
      down.configureBlocking(false);
      down.setOption(StandardSocketOptions.TCP_NODELAY, true);
      Pipe toUp = new Pipe(down, up);
      Pipe toDown = new Pipe(up, down);
      toUp.reverse = toDown;
      toDown.reverse = toUp;
      toUp.fromKey = down.register(selector, SelectionKey.OP_READ, toUp);
      toDown.fromKey = up.register(selector, SelectionKey.OP_READ, toDown);
      toUp.toKey = toDown.fromKey;
      toDown.toKey = toUp.fromKey;
    }
  }

  /** Reads what {@code p.from} has and writes it on; stops reading while a write is pending. */
  private static void read(Pipe p) throws IOException {
    if (p.buffer.position() > 0) {
      return; // a partial write is pending: OP_READ comes back when it is done
    }
    int n = p.from.read(p.buffer);
    if (n < 0) {
      close(p);
      return;
    }
    p.buffer.flip();
    p.to.write(p.buffer);
    if (p.buffer.hasRemaining()) {
      p.buffer.compact();
      p.fromKey.interestOps(p.fromKey.interestOps() & ~SelectionKey.OP_READ);
      p.toKey.interestOps(p.toKey.interestOps() | SelectionKey.OP_WRITE);
    } else {
      p.buffer.clear();
    }
  }

  /** Finishes {@code p}'s pending write, then reads its source again. */
  private static void flush(Pipe p) throws IOException {
    p.buffer.flip();
    p.to.write(p.buffer);
    if (p.buffer.hasRemaining()) {
      p.buffer.compact();
      return;
    }
    p.buffer.clear();
    p.toKey.interestOps(p.toKey.interestOps() & ~SelectionKey.OP_WRITE);
    p.fromKey.interestOps(p.fromKey.interestOps() | SelectionKey.OP_READ);
  }

  private static void close(Pipe p) {
    for (SocketChannel c : new SocketChannel[] {p.from, p.to}) {
      try {
        c.close();
      } catch (IOException ignored) {
        // closing anyway
      }
    }
  }
}
