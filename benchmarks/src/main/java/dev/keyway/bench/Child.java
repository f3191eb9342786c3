package dev.keyway.bench;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * A child JVM running one of this jar's main classes (stand-in, gateway, scenario 4), with its
 * standard output read line by line; stopped by its PID.
 */
final class Child implements AutoCloseable {
  static final List<String> FORK_HEAP = List.of("-Xms2g", "-Xmx2g", "-XX:+AlwaysPreTouch");

  final Process process;
  private final BufferedReader out;
  private final List<String> lines = new ArrayList<>();

  private Child(Process process) {
    this.process = process;
    this.out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
  }

  static String java() {
    return Path.of(System.getProperty("java.home"), "bin", "java").toString();
  }

  /** Starts {@code mainClass} of this jar with the JVM options and arguments given. */
  static Child start(List<String> jvmOptions, String mainClass, List<String> args, Path log) {
    List<String> command = new ArrayList<>();
    command.add(java());
    command.addAll(jvmOptions);
    command.add("-cp");
    command.add(System.getProperty("java.class.path"));
    command.add(mainClass);
    command.addAll(args);
    ProcessBuilder builder = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.appendTo(log.toFile()));
    try {
      return new Child(builder.start());
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start " + command, e);
    }
  }

  long pid() {
    return process.pid();
  }

  /** Reads output lines until one matches, returning it; fails if the child ends first or after the timeout. */
  String await(Predicate<String> match, long timeoutSeconds) {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(timeoutSeconds);
    try {
      while (System.nanoTime() < deadline) {
        String line = out.readLine();
        if (line == null) {
          throw new IllegalStateException("child " + pid() + " ended before answering; its output: " + lines);
        }
        lines.add(line);
        if (match.test(line)) {
          return line;
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    throw new IllegalStateException("child " + pid() + " gave no answer in " + timeoutSeconds + " s: " + lines);
  }

  @Override
  public void close() {
    try {
      process.getOutputStream().close();
    } catch (IOException e) {
      // stopping anyway
    }
    process.destroy();
    try {
      if (!process.waitFor(10, TimeUnit.SECONDS)) {
        process.destroyForcibly();
        process.waitFor(10, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
