package dev.keyway.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.keyway.ollama.spring.gateway.OllamaUsageLimits;
import dev.keyway.ollama.spring.gateway.UsagePermit;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * What the usage limits cost ({@code java -jar benchmarks.jar limits}). Two parts:
 *
 * <ol>
 *   <li><b>Decisions</b>: {@link OllamaUsageLimits#acquire} then {@link UsagePermit#close}, one
 *       thread, through the bean of a Spring context built like {@link GatewayApp}'s, for the local
 *       store and for a redis-server this harness starts on a free loopback port; two limit sets:
 *       {@code requests} (only the request bucket: one decision) and {@code all} (request bucket,
 *       token hold settled at close, in-flight permit taken and released). 1,024 callers in turn
 *       (each id hashed by the limits, as in the gateway). Every operation timed with
 *       {@link System#nanoTime()} (two reads, ~25 ns, are included).
 *   <li><b>Gateway hop</b> (scenario 5's method, {@link ProxyHop}): streams straight at the
 *       stand-in, through a gateway without limits, and through one with Redis limits on
 *       (generous capacities, so nothing is refused), each gateway in a JVM of its own.
 * </ol>
 *
 * A row {@code redis PING} times one Lettuce connection's synchronous PING: the floor of one
 * Redis round trip through Lettuce on this machine at that moment. Each measurement is repeated
 * {@code --rounds} times (default 2) so the spread shows.
 */
final class LimitsBench {
  private static final int CALLERS = 1024;

  private final Path work;
  private final int rounds;
  private final int warmSeconds;
  private final int seconds;
  private final int streams;
  private final int rate;
  private final int hopSeconds;
  private final int hopWarmSeconds;
  private final List<String> parts;
  private final Map<String, Object> json = new LinkedHashMap<>();
  private final StringBuilder table = new StringBuilder();
  private final List<String> notes = new ArrayList<>();

  private LimitsBench(Map<String, String> options, Path work) {
    this.work = work;
    this.rounds = Integer.parseInt(options.getOrDefault("rounds", "2"));
    this.warmSeconds = Integer.parseInt(options.getOrDefault("warmup", "3"));
    this.seconds = Integer.parseInt(options.getOrDefault("seconds", "5"));
    this.streams = Integer.parseInt(options.getOrDefault("streams", "200"));
    this.rate = Integer.parseInt(options.getOrDefault("rate", "30"));
    this.hopSeconds = Integer.parseInt(options.getOrDefault("hop-seconds", "20"));
    this.hopWarmSeconds = Integer.parseInt(options.getOrDefault("hop-warmup", "5"));
    this.parts = Arrays.asList(options.getOrDefault("parts", "decisions,hop").split(","));
  }

  /** {@code --rounds 2 --warmup 3 --seconds 5 --parts decisions,hop --streams 200 --rate 30 --hop-seconds 20 --hop-warmup 5}. */
  static void run(String[] args) throws Exception {
    Map<String, String> options = Main.options(args);
    Path work = Files.createTempDirectory("keyway-bench-limits-");
    new LimitsBench(options, work).run();
  }

  private void run() throws Exception {
    long t0 = System.nanoTime();
    Main.progress("limits: rounds %d, parts %s; logs in %s", rounds, parts, work);
    json.put("date", Instant.now().toString());
    json.put("machine", Main.machine());
    json.put("rounds", rounds);
    try (RedisProcess redis = new RedisProcess(work.resolve("redis.log"))) {
      Main.progress("redis-server pid %d on 127.0.0.1:%d", redis.pid(), redis.port);
      if (parts.contains("decisions")) {
        decisions(redis);
      }
      if (parts.contains("hop")) {
        hop(redis);
      }
    }
    json.put("notes", notes);
    StringBuilder out = new StringBuilder();
    out.append(String.format(Locale.ROOT, "%nKeyway usage-limits benchmark (%s)%n", Main.machineLine()));
    out.append(table);
    if (!notes.isEmpty()) {
      out.append("\nNotes:\n");
      notes.forEach(n -> out.append("  - ").append(n).append('\n'));
    }
    out.append(String.format(Locale.ROOT, "%nTotal %.0f s. JSON summary:%n", (System.nanoTime() - t0) / 1e9));
    out.append(new ObjectMapper().writeValueAsString(json)).append('\n');
    System.out.print(out);
    System.out.flush();
  }

  /** Limits properties: capacities no run can use up, so every acquire is admitted. */
  private static List<String> limits(String store, String set, int redisPort) {
    List<String> p = new ArrayList<>(List.of("ollama.limits.enabled=true", "ollama.limits.store=" + store,
        "ollama.limits.requests.capacity=1000000000", "ollama.limits.requests.period=1h"));
    if (set.equals("all")) {
      p.addAll(List.of("ollama.limits.tokens.capacity=1000000000000", "ollama.limits.tokens.period=1h",
          "ollama.limits.concurrent-streams=1000"));
    }
    if (store.equals("redis")) {
      p.addAll(List.of("spring.data.redis.host=127.0.0.1", "spring.data.redis.port=" + redisPort));
    }
    return p;
  }

  // ---- decisions ----

  record Stats(long ops, double p50Us, double p90Us, double p99Us, double p999Us, double maxUs, double meanUs) {}

  private void decisions(RedisProcess redis) {
    Map<String, Object> rows = new LinkedHashMap<>();
    table.append(String.format(Locale.ROOT, "%nDecisions: acquire + close through OllamaUsageLimits, one thread, %d callers "
        + "in turn, %d s measured per round after %d s warm-up; µs per acquire+close%n", CALLERS, seconds, warmSeconds));
    table.append(String.format(Locale.ROOT, "| %-6s | %-8s | %5s | %10s | %8s | %8s | %8s | %8s | %9s |%n",
        "store", "limits", "round", "ops", "p50", "p90", "p99", "p99.9", "max"));
    table.append("|--------|----------|------:|-----------:|---------:|---------:|---------:|---------:|----------:|\n");
    String[] callers = new String[CALLERS];
    for (int i = 0; i < CALLERS; i++) {
      callers[i] = "bench-caller-" + i;
    }
    rows.put("redis/ping", pingFloor(redis));
    for (String store : List.of("local", "redis")) {
      for (String set : List.of("requests", "all")) {
        String name = store + "/" + set;
        List<Stats> byRound = new ArrayList<>();
        try (ConfigurableApplicationContext context = GatewayApp.start("http://127.0.0.1:9", limits(store, set, redis.port))) {
          OllamaUsageLimits limits = context.getBean(OllamaUsageLimits.class);
          measure(limits, callers, warmSeconds, null);
          for (int r = 1; r <= rounds; r++) {
            long[] samples = new long[store.equals("local") ? 40_000_000 : 4_000_000];
            Stats stats = measure(limits, callers, seconds, samples);
            byRound.add(stats);
            Main.progress("  %s round %d: %s", name, r, stats);
            row(store, set, r, stats);
          }
        } catch (RuntimeException e) {
          notes.add("decisions " + name + ": " + e);
          Main.progress("  %s failed: %s", name, e);
        }
        rows.put(name, byRound);
      }
    }
    json.put("decisions", rows);
  }

  /**
   * The floor under a Redis decision on this machine at this moment: one Lettuce connection's
   * synchronous PING (one round trip, the same hand-off to and from Lettuce's event loop).
   */
  private List<Stats> pingFloor(RedisProcess redis) {
    List<Stats> byRound = new ArrayList<>();
    io.lettuce.core.RedisClient client = io.lettuce.core.RedisClient.create("redis://127.0.0.1:" + redis.port);
    try (var connection = client.connect()) {
      var sync = connection.sync();
      long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(warmSeconds);
      while (System.nanoTime() < end) {
        sync.ping();
      }
      for (int r = 1; r <= rounds; r++) {
        long[] samples = new long[4_000_000];
        int n = 0;
        end = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        long now = System.nanoTime();
        while (now < end && n < samples.length) {
          long start = now;
          sync.ping();
          now = System.nanoTime();
          samples[n++] = now - start;
        }
        Stats stats = stats(samples, n);
        byRound.add(stats);
        Main.progress("  redis PING round %d: %s", r, stats);
        row("redis", "PING", r, stats);
      }
    } finally {
      client.shutdown();
    }
    return byRound;
  }

  private void row(String store, String set, int round, Stats stats) {
    table.append(String.format(Locale.ROOT, "| %-6s | %-8s | %5d | %,10d | %8.2f | %8.2f | %8.2f | %8.2f | %9.1f |%n",
        store, set, round, stats.ops(), stats.p50Us(), stats.p90Us(), stats.p99Us(), stats.p999Us(), stats.maxUs()));
  }

  /** Acquire+close for {@code secs}, timing each into {@code samples} (warm-up when null). */
  private static Stats measure(OllamaUsageLimits limits, String[] callers, int secs, long[] samples) {
    long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(secs);
    int n = 0;
    long ops = 0;
    long now = System.nanoTime();
    while (now < end && (samples == null || n < samples.length)) {
      long start = now;
      UsagePermit permit = limits.acquire(callers[(int) (ops & (CALLERS - 1))]);
      permit.close();
      now = System.nanoTime();
      if (samples != null) {
        samples[n++] = now - start;
      }
      ops++;
    }
    return samples == null ? null : stats(samples, n);
  }

  private static Stats stats(long[] samples, int n) {
    long[] sorted = Arrays.copyOf(samples, n);
    Arrays.sort(sorted);
    double sum = 0;
    for (long s : sorted) {
      sum += s;
    }
    return new Stats(n, us(sorted, 0.50), us(sorted, 0.90), us(sorted, 0.99), us(sorted, 0.999),
        sorted[n - 1] / 1e3, sum / n / 1e3);
  }

  private static double us(long[] sorted, double q) {
    return sorted[Math.min(sorted.length - 1, (int) (sorted.length * q))] / 1e3;
  }

  // ---- gateway hop ----

  private void hop(RedisProcess redis) throws Exception {
    Map<String, List<String>> gateways = new LinkedHashMap<>();
    gateways.put("gateway", List.of());
    List<String> on = new ArrayList<>(limits("redis", "all", redis.port));
    gateways.put("gateway+redis-limits", on);
    table.append(String.format(Locale.ROOT, "%nGateway hop (scenario 5's method): %d streams × %d tokens/s for %d s after %d s "
        + "warm-up; latency = stand-in write to user code; added = minus direct in the same round%n",
        streams, rate, hopSeconds, hopWarmSeconds));
    table.append(String.format(Locale.ROOT, "| %5s | %-20s | %8s | %8s | %10s | %10s | %14s | %6s |%n",
        "round", "path", "p50 ms", "p99 ms", "added p50", "added p99", "proxy µs/token", "failed"));
    table.append("|------:|----------------------|---------:|---------:|-----------:|-----------:|---------------:|-------:|\n");
    List<Object> byRound = new ArrayList<>();
    try (StandInProcess standIn = new StandInProcess(work.resolve("stand-in.log"));
        ProxyHop hop = new ProxyHop(work, standIn.baseUrl(), false, gateways)) {
      hop.start().forEach(n -> notes.add("hop: " + n));
      for (int r = 1; r <= rounds; r++) {
        Map<String, ProxyHop.Load> loads = hop.measure(streams, rate, hopSeconds, hopWarmSeconds);
        ProxyHop.Load direct = loads.get("direct");
        Map<String, Object> rows = new LinkedHashMap<>();
        for (ProxyHop.Load load : loads.values()) {
          Map<String, Object> row = new LinkedHashMap<>();
          row.put("tokens", load.tokens);
          row.put("failedStreams", load.failed);
          row.put("p50Ms", load.p50Ms);
          row.put("p99Ms", load.p99Ms);
          row.put("addedP50Ms", load.p50Ms - direct.p50Ms);
          row.put("addedP99Ms", load.p99Ms - direct.p99Ms);
          row.put("proxyCpuUsPerToken", load.proxyCpuUsPerToken);
          rows.put(load.path, row);
          if (load.failed > 0) {
            notes.add("hop round " + r + ", " + load.path + ": " + load.failed + " streams failed, first: " + load.firstError);
          }
          table.append(String.format(Locale.ROOT, "| %5d | %-20s | %8.2f | %8.2f | %10s | %10s | %14s | %6d |%n", r,
              load.path, load.p50Ms, load.p99Ms,
              load == direct ? "" : String.format(Locale.ROOT, "%+.2f ms", load.p50Ms - direct.p50Ms),
              load == direct ? "" : String.format(Locale.ROOT, "%+.2f ms", load.p99Ms - direct.p99Ms),
              Double.isNaN(load.proxyCpuUsPerToken) ? "n/a" : String.format(Locale.ROOT, "%.1f", load.proxyCpuUsPerToken),
              load.failed));
        }
        Main.progress("  hop round %d: %s", r, rows);
        byRound.add(rows);
      }
    }
    json.put("hop", byRound);
  }
}
