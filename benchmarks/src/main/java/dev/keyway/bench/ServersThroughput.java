package dev.keyway.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.keyway.ollama.Credential;
import dev.keyway.ollama.OllamaServers;
import dev.keyway.ollama.model.ChatRequest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Throughput over 1, 2 and 3 servers ({@code java -jar benchmarks.jar servers}): each server a
 * stand-in process of its own with {@code slots} parallel slots and a fixed service time per
 * request ({@code delay-MS}: the answer after MS ms holding a slot), so the servers, not the
 * client, are the bottleneck: one server can answer at most slots / service time calls per
 * second. {@code threads} client threads call unary {@code chat} in a loop through one
 * {@code OllamaServers} over the first N stand-ins; calls per second over the measured window,
 * and how the calls spread (requests each stand-in served).
 */
final class ServersThroughput {
  private ServersThroughput() {}

  /** {@code --servers 1,2,3 --threads 12 --slots 4 --delay 20 --seconds 10 --warmup 3}. */
  static void run(String[] args) throws Exception {
    Map<String, String> o = Main.options(args);
    if (Runtime.version().feature() < 21) {
      throw new IllegalStateException("servers needs JDK 21+ (the stand-ins serve on virtual threads), this is JDK "
          + Runtime.version().feature() + ": run the jar with /usr/lib/jvm/temurin-25-jdk-amd64/bin/java");
    }
    List<Integer> counts = new ArrayList<>();
    for (String s : o.getOrDefault("servers", "1,2,3").split(",")) {
      counts.add(Integer.parseInt(s.trim()));
    }
    int threads = Integer.parseInt(o.getOrDefault("threads", "12"));
    int slots = Integer.parseInt(o.getOrDefault("slots", "4"));
    int delay = Integer.parseInt(o.getOrDefault("delay", "20"));
    int seconds = Integer.parseInt(o.getOrDefault("seconds", "10"));
    int warmup = Integer.parseInt(o.getOrDefault("warmup", "3"));
    int most = counts.stream().mapToInt(Integer::intValue).max().orElse(3);
    Path work = Files.createTempDirectory("keyway-bench-servers-");
    long t0 = System.nanoTime();
    Main.progress("servers: %s servers, %d threads, %d slots × %d ms a server; logs in %s", counts, threads, slots, delay, work);
    Map<String, Object> json = new LinkedHashMap<>();
    json.put("date", Instant.now().toString());
    json.put("machine", Main.machine());
    json.put("loadAverageStart", ManyStreams.loadAverage());
    json.put("options", Map.of("threads", threads, "slots", slots, "delayMs", delay, "seconds", seconds, "warmup", warmup));
    StringBuilder table = new StringBuilder();
    table.append(String.format(Locale.ROOT, "%nThroughput over several servers: %d client threads, unary chat through OllamaServers; "
        + "each server a stand-in process with %d slots × %d ms service time (ceiling %.0f calls/s a server); %d s measured "
        + "after %d s warm-up%n", threads, slots, delay, slots * 1000.0 / delay, seconds, warmup));
    table.append("| servers |  calls/s | ceiling | × 1 server | errors | calls per server |\n");
    table.append("|--------:|---------:|--------:|-----------:|-------:|------------------|\n");
    List<StandInProcess> standIns = new ArrayList<>();
    Map<String, Object> rows = new LinkedHashMap<>();
    try {
      for (int i = 0; i < most; i++) {
        standIns.add(new StandInProcess(work.resolve("stand-in-" + (i + 1) + ".log"), List.of("virtual", "slots=" + slots)));
      }
      ChatRequest request = KeywayClient.request("delay-" + delay);
      double first = Double.NaN;
      for (int n : counts) {
        OllamaServers.Builder b = OllamaServers.builder();
        for (int i = 0; i < n; i++) {
          b.server("stand-in-" + (i + 1), standIns.get(i).baseUrl(), Credential.apiKey(BenchClient.KEY));
        }
        try (OllamaServers servers = b.build()) {
          servers.refresh();
          load(servers, request, threads, warmup);
          long[][] before = new long[n][];
          for (int i = 0; i < n; i++) {
            before[i] = standIns.get(i).stats();
          }
          long[] result = load(servers, request, threads, seconds);
          List<Long> perServer = new ArrayList<>();
          for (int i = 0; i < n; i++) {
            perServer.add(standIns.get(i).stats()[1] - before[i][1]);
          }
          double rate = result[0] / (double) seconds;
          if (Double.isNaN(first)) {
            first = rate / n;
          }
          Map<String, Object> row = new LinkedHashMap<>();
          row.put("callsPerSecond", Main.round(rate, 1));
          row.put("ceiling", n * slots * 1000.0 / delay);
          row.put("vsOneServer", Main.round(rate / first, 2));
          row.put("errors", result[1]);
          row.put("perServer", perServer);
          rows.put(Integer.toString(n), row);
          Main.progress("  %d server(s): %s", n, row);
          table.append(String.format(Locale.ROOT, "| %7d | %8.1f | %7.0f | %10.2f | %6d | %s |%n", n, rate,
              n * slots * 1000.0 / delay, rate / first, result[1], perServer));
        }
      }
    } finally {
      standIns.forEach(StandInProcess::close);
    }
    json.put("results", rows);
    json.put("loadAverageEnd", ManyStreams.loadAverage());
    StringBuilder out = new StringBuilder();
    out.append(String.format(Locale.ROOT, "%nKeyway several-servers throughput (%s)%n", Main.machineLine()));
    out.append(table);
    out.append(String.format(Locale.ROOT, "%n× 1 server = calls/s over the first row's calls/s per server%nLoad average at "
        + "start %s, at end %s%nTotal %.0f s. JSON summary:%n", json.get("loadAverageStart"), json.get("loadAverageEnd"),
        (System.nanoTime() - t0) / 1e9));
    out.append(new ObjectMapper().writeValueAsString(json)).append('\n');
    System.out.print(out);
    System.out.flush();
  }

  /** {@code threads} threads calling chat for {@code seconds}; returns {calls, errors}. */
  private static long[] load(OllamaServers servers, ChatRequest request, int threads, int seconds)
      throws InterruptedException {
    AtomicLong calls = new AtomicLong();
    AtomicLong errors = new AtomicLong();
    long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
    CountDownLatch done = new CountDownLatch(threads);
    for (int t = 0; t < threads; t++) {
      Thread thread = new Thread(() -> {
        try {
          while (System.nanoTime() < end) {
            try {
              servers.chat(request);
              if (System.nanoTime() <= end) {
                calls.incrementAndGet();
              }
            } catch (RuntimeException e) {
              errors.incrementAndGet();
            }
          }
        } finally {
          done.countDown();
        }
      }, "bench-caller-" + t);
      thread.setDaemon(true);
      thread.start();
    }
    if (!done.await(seconds + 120L, TimeUnit.SECONDS)) {
      throw new IllegalStateException("callers did not finish");
    }
    return new long[] {calls.get(), errors.get()};
  }
}
