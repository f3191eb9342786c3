package dev.keyway.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.keyway.ollama.OllamaClient;
import dev.keyway.ollama.OllamaStream;
import dev.keyway.ollama.model.ChatRequest;
import dev.keyway.ollama.model.ChatResponse;
import java.io.IOException;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import javax.net.SocketFactory;
import okhttp3.Call;
import okhttp3.EventListener;
import okhttp3.OkHttpClient;
import okhttp3.Protocol;
import okhttp3.Response;

/**
 * One caller's streamed chats in a row through Caddy over HTTPS ({@code tls internal}, so HTTP/2
 * by ALPN), as {@code java -jar benchmarks.jar tls}: Keyway as built, against Keyway given sockets
 * with Nagle's algorithm on (what OkHttp's default socket factory opens, and what Keyway used
 * before 2026-12-04). Rounds alternate between the two, so drift in the machine falls on both.
 * Per call: the time from the call to the first chunk in user code, and to the end of the stream.
 */
final class TlsHop {
  private TlsHop() {}

  /**
   * {@code --calls 200 --rounds 10 --warmup 1000 --model basic --stop done}; {@code --stop first}
   * closes each stream at its first chunk, as a caller does who stops an answer (over HTTP/2, a
   * reset of the stream before the next call).
   */
  static void run(String[] args) throws Exception {
    Map<String, String> o = Main.options(args);
    int calls = Integer.parseInt(o.getOrDefault("calls", "200"));
    int rounds = Integer.parseInt(o.getOrDefault("rounds", "10"));
    int warmup = Integer.parseInt(o.getOrDefault("warmup", "1000"));
    ChatRequest request = KeywayClient.request(o.getOrDefault("model", "basic"));
    String stop = o.getOrDefault("stop", "done");
    if (!stop.equals("done") && !stop.equals("first")) {
      throw new IllegalArgumentException("--stop is done or first, not " + stop);
    }
    boolean stopAtFirst = stop.equals("first");
    Path work = Files.createTempDirectory("keyway-bench-tls-");
    Main.progress("tls: %d rounds of %d streamed chats a client, through Caddy over HTTPS; logs in %s", rounds, calls, work);
    Map<String, Object> json = new LinkedHashMap<>();
    json.put("date", Instant.now().toString());
    json.put("machine", Main.machine());
    json.put("loadAverageStart", ManyStreams.loadAverage());
    json.put("options", Map.of("calls", calls, "rounds", rounds, "warmup", warmup, "model", request.model(), "stop", stop));
    List<String> names = List.of("keyway", "keyway-nagle-on");
    Set<Protocol> protocols = ConcurrentHashMap.newKeySet();
    long[][] first = new long[names.size()][calls * rounds];
    long[][] whole = new long[names.size()][calls * rounds];
    try (StandInProcess standIn = new StandInProcess(work.resolve("stand-in.log"));
        Caddy caddy = Caddy.start(work.resolve("caddy"), Integer.parseInt(
            standIn.baseUrl().substring(standIn.baseUrl().lastIndexOf(':') + 1)));
        OllamaClient keyway = client(caddy, null, protocols);
        OllamaClient nagleOn = client(caddy, new NagleOn(), protocols)) {
      List<OllamaClient> clients = List.of(keyway, nagleOn);
      for (int c = 0; c < clients.size(); c++) {
        for (int i = 0; i < warmup; i++) {
          call(clients.get(c), request, stopAtFirst, new long[2]);
        }
      }
      long[] one = new long[2];
      for (int r = 0; r < rounds; r++) {
        for (int c = 0; c < clients.size(); c++) {
          int who = (r % 2 == 0) ? c : clients.size() - 1 - c;
          for (int i = 0; i < calls; i++) {
            call(clients.get(who), request, stopAtFirst, one);
            first[who][r * calls + i] = one[0];
            whole[who][r * calls + i] = one[1];
          }
        }
        Main.progress("  round %d of %d", r + 1, rounds);
      }
    }
    StringBuilder table = new StringBuilder();
    json.put("protocols", protocols.stream().map(Protocol::toString).sorted().toList());
    table.append(String.format(Locale.ROOT, "%nStreamed chats through Caddy over HTTPS (protocols seen: %s), one caller, %d calls a client "
        + "in %d alternating rounds after %d warm-up calls, each read %s%n", json.get("protocols"), calls * rounds, rounds, warmup,
        stopAtFirst ? "to its first chunk and closed" : "to its done chunk"));
    table.append("| client | first chunk p50 | p90 | p99 | mean | whole call p50 | p99 | mean |\n");
    table.append("| --- | --: | --: | --: | --: | --: | --: | --: |\n");
    Map<String, Object> rows = new LinkedHashMap<>();
    for (int c = 0; c < names.size(); c++) {
      double[] f = stats(first[c]);
      double[] w = stats(whole[c]);
      table.append(String.format(Locale.ROOT, "| %s | %.2f ms | %.2f | %.2f | %.2f | %.2f ms | %.2f | %.2f |%n",
          names.get(c), f[0], f[1], f[2], f[3], w[0], w[2], w[3]));
      rows.put(names.get(c), Map.of("firstChunkMs", Map.of("p50", Main.round(f[0], 3), "p90", Main.round(f[1], 3),
              "p99", Main.round(f[2], 3), "mean", Main.round(f[3], 3)),
          "wholeCallMs", Map.of("p50", Main.round(w[0], 3), "p99", Main.round(w[2], 3), "mean", Main.round(w[3], 3))));
    }
    json.put("results", rows);
    json.put("loadAverageEnd", ManyStreams.loadAverage());
    StringBuilder out = new StringBuilder();
    out.append(String.format(Locale.ROOT, "%nKeyway through Caddy over HTTPS (%s)%n", Main.machineLine()));
    out.append(table);
    out.append(new ObjectMapper().writeValueAsString(json)).append('\n');
    System.out.print(out);
    System.out.flush();
  }

  /** Keyway as built with {@code sockets} null (OkHttp's default factory kept), else with them. */
  private static OllamaClient client(Caddy caddy, SocketFactory sockets, Set<Protocol> protocols) {
    OkHttpClient.Builder http = new OkHttpClient.Builder().eventListener(new EventListener() {
      @Override
      public void responseHeadersEnd(Call call, Response response) {
        protocols.add(response.protocol());
      }
    });
    if (sockets != null) {
      http.socketFactory(sockets);
    }
    return OllamaClient.builder().baseUrl(caddy.url).apiKey(BenchClient.KEY)
        .trustCertificates(caddy.rootCertificate).maxRetries(0).okHttpClient(http.build()).build();
  }

  /**
   * One streamed chat: {@code into[0]} nanoseconds to the first chunk, {@code into[1]} to the end
   * (or to the close, when it stops at the first chunk).
   */
  private static void call(OllamaClient client, ChatRequest request, boolean stopAtFirst, long[] into) {
    long start = System.nanoTime();
    long firstAt = 0;
    try (OllamaStream<ChatResponse> stream = client.chatStream(request)) {
      for (ChatResponse chunk : stream) {
        if (firstAt == 0) {
          firstAt = System.nanoTime();
          if (stopAtFirst) {
            break;
          }
        }
      }
    }
    into[0] = firstAt - start;
    into[1] = System.nanoTime() - start;
  }

  /** p50, p90, p99 and mean, in milliseconds. */
  private static double[] stats(long[] nanos) {
    long[] sorted = nanos.clone();
    Arrays.sort(sorted);
    double mean = Arrays.stream(sorted).average().orElse(Double.NaN);
    return new double[] {at(sorted, 0.50) / 1e6, at(sorted, 0.90) / 1e6, at(sorted, 0.99) / 1e6, mean / 1e6};
  }

  private static double at(long[] sorted, double q) {
    return sorted[Math.min(sorted.length - 1, (int) Math.ceil(q * sorted.length) - 1)];
  }

  /** Plain sockets with Nagle's algorithm left on, as {@link SocketFactory#getDefault()} opens them. */
  static final class NagleOn extends SocketFactory {
    @Override
    public Socket createSocket() {
      return new Socket();
    }

    @Override
    public Socket createSocket(String host, int port) {
      throw new UnsupportedOperationException("OkHttp connects the unconnected socket itself");
    }

    @Override
    public Socket createSocket(String host, int port, InetAddress localHost, int localPort) {
      throw new UnsupportedOperationException("OkHttp connects the unconnected socket itself");
    }

    @Override
    public Socket createSocket(InetAddress host, int port) {
      throw new UnsupportedOperationException("OkHttp connects the unconnected socket itself");
    }

    @Override
    public Socket createSocket(InetAddress address, int port, InetAddress localAddress, int localPort) {
      throw new UnsupportedOperationException("OkHttp connects the unconnected socket itself");
    }
  }

  /** Caddy with {@code tls internal} in front of the stand-in: ProxyHop's Caddyfile over HTTPS. */
  static final class Caddy implements AutoCloseable {
    final String url;
    final Path rootCertificate;
    private final Process process;

    private Caddy(String url, Path rootCertificate, Process process) {
      this.url = url;
      this.rootCertificate = rootCertificate;
      this.process = process;
    }

    static Caddy start(Path dir, int upstreamPort) throws IOException, InterruptedException {
      Files.createDirectories(dir);
      int port = ProxyHop.freePort();
      String http = ProxyHop.caddyfile(dir, port, upstreamPort);
      String https = http.replace("\tauto_https off\n", "\tauto_https disable_redirects\n")
          .replace("http://127.0.0.1:" + port + " {\n\tbind 127.0.0.1\n",
              "https://127.0.0.1:" + port + " {\n\tbind 127.0.0.1\n\ttls internal\n");
      if (https.equals(http)) {
        throw new IllegalStateException("ProxyHop's Caddyfile changed shape; TlsHop cannot turn it to HTTPS");
      }
      Path caddyfile = dir.resolve("Caddyfile");
      Files.writeString(caddyfile, https);
      ProcessBuilder pb = new ProcessBuilder(ProxyHop.CADDY, "run", "--config", caddyfile.toString(), "--adapter", "caddyfile")
          .directory(dir.toFile()).redirectErrorStream(true).redirectOutput(dir.resolve("caddy.out").toFile());
      pb.environment().put("HOME", dir.toString());
      pb.environment().put("XDG_DATA_HOME", dir.resolve("data").toString());
      pb.environment().put("XDG_CONFIG_HOME", dir.resolve("config").toString());
      Process process = pb.start();
      Path root = dir.resolve("storage/pki/authorities/local/root.crt");
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      while (!Files.exists(root) || !ProxyHop.accepts(port)) {
        if (!process.isAlive() || System.nanoTime() > deadline) {
          process.destroyForcibly();
          throw new IllegalStateException("caddy did not start: " + Files.readString(dir.resolve("caddy.out")));
        }
        Thread.sleep(50);
      }
      return new Caddy("https://127.0.0.1:" + port, root, process);
    }

    @Override
    public void close() {
      process.destroy();
      try {
        if (!process.waitFor(10, TimeUnit.SECONDS)) {
          process.destroyForcibly();
        }
      } catch (InterruptedException e) {
        process.destroyForcibly();
        Thread.currentThread().interrupt();
      }
    }
  }
}
