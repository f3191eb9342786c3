package dev.keyway.proxies;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A real proxy binary (Caddy, nginx) started by a test on a loopback port and stopped by PID.
 * Its output goes to a log file in its own directory; the test prints that log when the proxy
 * fails to start. Request headers are never logged by the configurations the tests write.
 */
final class ProxyProcess implements AutoCloseable {
  private final String name;
  private final Process process;
  private final Path log;
  final int port;

  private ProxyProcess(String name, Process process, Path log, int port) {
    this.name = name;
    this.process = process;
    this.log = log;
    this.port = port;
  }

  /**
   * Starts {@code command} in {@code dir} and waits until {@code port} on 127.0.0.1 accepts
   * connections.
   */
  static ProxyProcess start(String name, List<String> command, Path dir, Map<String, String> env, int port) {
    requireBinary(command.get(0));
    Path log = dir.resolve(name + ".out");
    ProcessBuilder builder = new ProcessBuilder(command)
        .directory(dir.toFile())
        .redirectErrorStream(true)
        .redirectOutput(log.toFile());
    builder.environment().putAll(env);
    Process process;
    try {
      process = builder.start();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start " + command, e);
    }
    ProxyProcess proxy = new ProxyProcess(name, process, log, port);
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (System.nanoTime() < deadline) {
      if (!process.isAlive()) {
        throw new IllegalStateException(name + " exited with " + process.exitValue() + " at start:\n" + proxy.output());
      }
      if (accepts(port)) {
        return proxy;
      }
      sleep(Duration.ofMillis(50));
    }
    proxy.close();
    throw new IllegalStateException(name + " did not listen on 127.0.0.1:" + port + " within 30 s:\n" + proxy.output());
  }

  /** A port on 127.0.0.1 that nothing listens on right now. */
  static int freePort() {
    try (ServerSocket socket = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      return socket.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static Path tempDir(String prefix) {
    try {
      Path dir = Files.createTempDirectory(prefix);
      // nginx's workers run as "nobody" when the tests run as root: they need to write temp files here.
      dir.toFile().setWritable(true, false);
      dir.toFile().setExecutable(true, false);
      dir.toFile().setReadable(true, false);
      return dir;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** What the proxy printed so far (its own log, never request headers). */
  String output() {
    try {
      return Files.exists(log) ? Files.readString(log, StandardCharsets.UTF_8) : "";
    } catch (IOException e) {
      return "(cannot read " + log + ": " + e + ")";
    }
  }

  long pid() {
    return process.pid();
  }

  boolean isAlive() {
    return process.isAlive();
  }

  /** Stops the proxy and every process it started (nginx's workers), waiting until they are gone. */
  @Override
  public void close() {
    List<ProcessHandle> tree = new ArrayList<>();
    process.toHandle().descendants().forEach(tree::add);
    tree.add(process.toHandle());
    tree.forEach(ProcessHandle::destroy);
    for (ProcessHandle handle : tree) {
      try {
        handle.onExit().get(10, TimeUnit.SECONDS);
      } catch (Exception e) {
        handle.destroyForcibly();
      }
    }
  }

  /**
   * Kills the proxy and its children with SIGKILL, as a crash or an OOM kill would: no graceful
   * shutdown, open connections are cut by the kernel. Waits until they are gone.
   */
  void kill() {
    List<ProcessHandle> tree = new ArrayList<>();
    process.toHandle().descendants().forEach(tree::add);
    tree.add(process.toHandle());
    tree.forEach(ProcessHandle::destroyForcibly);
    for (ProcessHandle handle : tree) {
      try {
        handle.onExit().get(10, TimeUnit.SECONDS);
      } catch (Exception e) {
        throw new IllegalStateException(name + " (pid " + handle.pid() + ") still running after SIGKILL", e);
      }
    }
  }

  @Override
  public String toString() {
    return name + " (pid " + process.pid() + ", 127.0.0.1:" + port + ")";
  }

  private static void requireBinary(String binary) {
    if (!Files.isExecutable(Path.of(binary))) {
      throw new IllegalStateException(binary + " is not installed: apt-get install caddy nginx-light"
          + " (.ci/run does this)");
    }
  }

  private static boolean accepts(int port) {
    try (Socket socket = new Socket()) {
      socket.connect(new InetSocketAddress("127.0.0.1", port), 200);
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  static void sleep(Duration duration) {
    try {
      Thread.sleep(duration.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }
}
