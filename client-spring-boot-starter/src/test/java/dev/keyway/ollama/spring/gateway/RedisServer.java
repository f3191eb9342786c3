package dev.keyway.ollama.spring.gateway;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/** A real redis-server on a free loopback port, no persistence, stopped by PID. */
final class RedisServer implements AutoCloseable {
  static final String BINARY = "/usr/bin/redis-server";
  final int port;
  private final Process process;
  private final Path log;

  private RedisServer(int port, Process process, Path log) {
    this.port = port;
    this.process = process;
    this.log = log;
  }

  static RedisServer start() throws IOException {
    int port;
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      port = socket.getLocalPort();
    }
    return start(port);
  }

  /** Starts one on {@code port} (a restart of a stopped one, for the clients that knew it). */
  static RedisServer start(int port) throws IOException {
    Path log = Files.createTempFile("redis-", ".out");
    Process process = new ProcessBuilder(List.of(BINARY, "--port", Integer.toString(port), "--bind", "127.0.0.1",
        "--save", "", "--appendonly", "no")).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    RedisServer server = new RedisServer(port, process, log);
    long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
    while (System.nanoTime() < deadline) {
      if (!process.isAlive()) {
        throw new IllegalStateException("redis-server exited at start:\n" + Files.readString(log));
      }
      try (Socket probe = new Socket()) {
        probe.connect(new InetSocketAddress("127.0.0.1", port), 200);
        return server;
      } catch (IOException notYet) {
        LockSupport.parkNanos(Duration.ofMillis(20).toNanos());
      }
    }
    server.close();
    throw new IllegalStateException("redis-server did not listen within 20 s:\n" + Files.readString(log));
  }

  /** Empties the server between tests that share it. */
  void flush() {
    io.lettuce.core.RedisClient client = io.lettuce.core.RedisClient.create("redis://127.0.0.1:" + port);
    try (var connection = client.connect()) {
      connection.sync().flushall();
    } finally {
      client.shutdown(Duration.ZERO, Duration.ofSeconds(5));
    }
  }

  long pid() {
    return process.pid();
  }

  @Override
  public void close() {
    process.destroy();
    try {
      if (!process.waitFor(10, TimeUnit.SECONDS)) {
        process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    try {
      Files.deleteIfExists(log);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
