package dev.keyway.bench;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** The stand-in in a process of its own, so no client's process CPU includes the server's. */
final class StandInProcess implements AutoCloseable {
  private static final Pattern FIELD = Pattern.compile("\"(\\w+)\":(\\d+)");
  private final Child child;
  final int port;
  private int statsCalls;

  StandInProcess(Path log) {
    this(log, List.of());
  }

  /** With {@link StandIn#main}'s arguments, e.g. {@code virtual}, {@code slots=4}. */
  StandInProcess(Path log, List<String> args) {
    this(log, List.of("-Xms1g", "-Xmx1g", "-XX:+AlwaysPreTouch", "-Xss256k"), StandIn.class.getName(), args);
  }

  private StandInProcess(Path log, List<String> jvm, String mainClass, List<String> args) {
    child = Child.start(jvm, mainClass, args, log);
    String line = child.await(l -> l.startsWith("STANDIN-PORT "), 60);
    port = Integer.parseInt(line.substring("STANDIN-PORT ".length()).trim());
  }

  /**
   * {@link LightStandIn}: one selector thread; a small serial-collected heap, since it allocates
   * next to nothing per token.
   */
  static StandInProcess light(Path log) {
    return new StandInProcess(log, List.of("-Xms256m", "-Xmx256m", "-XX:+AlwaysPreTouch", "-XX:+UseSerialGC"),
        LightStandIn.class.getName(), List.of());
  }

  String baseUrl() {
    return "http://127.0.0.1:" + port;
  }

  long pid() {
    return child.pid();
  }

  /** Sockets accepted and requests served so far. */
  long[] stats() {
    try (Socket s = new Socket(InetAddress.getLoopbackAddress(), port)) {
      OutputStream out = s.getOutputStream();
      out.write("GET /bench/stats HTTP/1.1\r\nHost: stand-in\r\nConnection: close\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
      out.flush();
      InputStream in = s.getInputStream();
      String response = new String(in.readAllBytes(), StandardCharsets.UTF_8);
      Matcher m = FIELD.matcher(response.substring(response.indexOf("\r\n\r\n")));
      long accepted = -1;
      long requests = -1;
      while (m.find()) {
        if (m.group(1).equals("accepted")) {
          accepted = Long.parseLong(m.group(2));
        } else if (m.group(1).equals("requests")) {
          requests = Long.parseLong(m.group(2));
        }
      }
      // every stats request so far counted as one socket and one request
      statsCalls++;
      return new long[] {accepted - statsCalls, requests - statsCalls};
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Override
  public void close() {
    child.close();
  }
}
