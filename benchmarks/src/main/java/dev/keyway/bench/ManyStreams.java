package dev.keyway.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Executor;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordedFrame;
import jdk.jfr.consumer.RecordedStackTrace;
import jdk.jfr.consumer.RecordingFile;

/**
 * Issue 13's 2,000 concurrent slow streams through one gateway ({@code java -jar benchmarks.jar
 * streams2000}): scenario 5's method ({@link ProxyHop}) at a chat's pace, about 5 tokens/s a
 * stream, with every process able to hold thousands of streams cheaply: the stand-in serves each
 * connection on a virtual thread (a process of its own), the load generator runs each Keyway
 * stream on a virtual thread, and the gateway runs on virtual threads
 * ({@code spring.threads.virtual.enabled=true}) or, for comparison, on a Tomcat pool with a
 * platform thread per stream. Needs JDK 21+ (run the jar with JDK 25; every child JVM uses the same
 * {@code java}).
 *
 * <p>Per path and load: added per-token latency (p50, p99) over the direct path, proxy CPU per
 * token beside Caddy's, the stand-in's and the load generator's CPU per token, the proxy's resident
 * set, and for each gateway a JFR recording over the measured window: peak heap used
 * ({@code jdk.GCHeapSummary}), {@code jdk.VirtualThreadPinned} (threshold 0) and
 * {@code jdk.VirtualThreadSubmitFailed} events counted by where they happened.
 */
final class ManyStreams {
  /** JFR settings: only what this benchmark reads, so the recording costs next to nothing. */
  private static final String JFC = """
      <?xml version="1.0" encoding="UTF-8"?>
      <configuration version="2.0" label="keyway-many-streams">
        <event name="jdk.VirtualThreadPinned">
          <setting name="enabled">true</setting>
          <setting name="stackTrace">true</setting>
          <setting name="threshold">0 ms</setting>
        </event>
        <event name="jdk.VirtualThreadSubmitFailed">
          <setting name="enabled">true</setting>
          <setting name="stackTrace">true</setting>
        </event>
        <event name="jdk.GCHeapSummary">
          <setting name="enabled">true</setting>
        </event>
      %s</configuration>
      """;
  /**
   * With {@code --profile true}: CPU samples too. {@code jdk.ExecutionSample} sees Java code only
   * (read it with {@code jfr view hot-methods FILE}); JDK 25's {@code jdk.CPUTimeSample} samples
   * threads by the CPU time they use, in system calls too, so a relay thread's {@code write} and
   * {@code epoll_wait} show (read it with {@code jfr print --json --events jdk.CPUTimeSample FILE}).
   */
  private static final String SAMPLES = """
        <event name="jdk.ExecutionSample">
          <setting name="enabled">true</setting>
          <setting name="period">10 ms</setting>
        </event>
        <event name="jdk.CPUTimeSample">
          <setting name="enabled">true</setting>
          <setting name="throttle">2ms</setting>
          <setting name="stackTrace">true</setting>
        </event>
      """;

  private final Path work;
  private final List<Integer> streamCounts = new ArrayList<>();
  private final int rate;
  private final int seconds;
  private final int warmSeconds;
  private final int rounds;
  /** {@code --prime N}: N rounds of one-second streams on each path before its warm-up (JIT). */
  private final int prime;
  /** {@code --settle P}: after the prime rounds, more until the JIT took at most P% of a JVM proxy's CPU in two rounds running (0: off). */
  private final double settle;
  /** {@code --settle-max N}: at most N prime rounds in all while settling. */
  private final int settleMax;
  /** {@code --bracket true}: Caddy measured again after the gateways; ×Caddy over the mean of both windows. */
  private final boolean bracket;
  private final boolean caddy;
  private final boolean jfr;
  private final boolean profile;
  /** {@code --light true}: {@link LightStandIn} and {@link LightLoad} instead of the virtual-thread stand-in and Keyway. */
  private final boolean light;
  private final List<String> gatewayNames;
  private final Map<String, Object> json = new LinkedHashMap<>();
  private final StringBuilder table = new StringBuilder();
  private final StringBuilder threads = new StringBuilder();
  private final List<String> notes = new ArrayList<>();
  /** Gateway → "reason | frame" → pinned events, over every window. */
  private final Map<String, Map<String, Long>> pinnedSites = new LinkedHashMap<>();

  private ManyStreams(Map<String, String> options, Path work) {
    this.work = work;
    for (String s : options.getOrDefault("streams", "200,2000").split(",")) {
      streamCounts.add(Integer.parseInt(s.trim()));
    }
    this.rate = Integer.parseInt(options.getOrDefault("rate", "5"));
    this.seconds = Integer.parseInt(options.getOrDefault("seconds", "8"));
    this.warmSeconds = Integer.parseInt(options.getOrDefault("warmup", "4"));
    this.rounds = Integer.parseInt(options.getOrDefault("rounds", "1"));
    this.prime = Integer.parseInt(options.getOrDefault("prime", "0"));
    this.settle = Double.parseDouble(options.getOrDefault("settle", "0"));
    this.settleMax = Integer.parseInt(options.getOrDefault("settle-max", "60"));
    this.bracket = Boolean.parseBoolean(options.getOrDefault("bracket", "false"));
    this.caddy = Boolean.parseBoolean(options.getOrDefault("caddy", "true"));
    this.jfr = Boolean.parseBoolean(options.getOrDefault("jfr", "true"));
    this.profile = Boolean.parseBoolean(options.getOrDefault("profile", "false"));
    this.light = Boolean.parseBoolean(options.getOrDefault("light", "false"));
    String gatewayList = options.getOrDefault("gateways", "gateway-vt,gateway-threads");
    this.gatewayNames = gatewayList.equals("none") ? List.of() : Arrays.asList(gatewayList.split(","));
  }

  /**
   * {@code --streams 200,2000 --rate 5 --seconds 8 --warmup 4 --rounds 1 --caddy true --jfr true
   * --gateways gateway-vt,gateway-threads --profile false --light false --prime 0 --settle 0 --settle-max 60 --bracket false}; {@code --seconds} is each stream's length (tokens =
   * rate × seconds).
   */
  static void run(String[] args) throws Exception {
    Map<String, String> options = Main.options(args);
    if (Runtime.version().feature() < 21) {
      throw new IllegalStateException("streams2000 needs JDK 21+ (virtual threads), this is JDK "
          + Runtime.version().feature() + ": run the jar with /usr/lib/jvm/temurin-25-jdk-amd64/bin/java");
    }
    Path work = Files.createTempDirectory("keyway-bench-streams-");
    new ManyStreams(options, work).run();
  }

  /**
   * The gateway's properties for each variant: every one leaves room for far more than 2,000
   * connections and keeps a Tomcat processor for each (docs/gateway.md's settings for many streams).
   */
  static List<String> gatewayProperties(String name, int maxStreams) {
    switch (name) {
      case "gateway-vt":
        return List.of("spring.threads.virtual.enabled=true", "server.tomcat.max-connections=10000",
            "server.tomcat.accept-count=1000", "server.tomcat.processor-cache=-1");
      case "gateway-threads":
        return List.of("server.tomcat.threads.max=" + (maxStreams + 100), "server.tomcat.max-connections=10000",
            "server.tomcat.accept-count=1000", "server.tomcat.processor-cache=-1");
      case ProxyHop.NIO_RELAY:
      case ProxyHop.JDK_RELAY:
      case ProxyHop.NETTY_RELAY:
        return List.of();
      default:
        throw new IllegalArgumentException("unknown gateway " + name + "; known: gateway-vt, gateway-threads, "
            + ProxyHop.NIO_RELAY + ", " + ProxyHop.JDK_RELAY + ", "
            + ProxyHop.NETTY_RELAY + " (floors)");
    }
  }

  private void run() throws Exception {
    long t0 = System.nanoTime();
    Main.progress("streams2000: streams %s at %d tokens/s for %d s (+%d s warm-up), %d round(s), gateways %s; logs in %s",
        streamCounts, rate, seconds, warmSeconds, rounds, gatewayNames, work);
    json.put("date", Instant.now().toString());
    json.put("machine", Main.machine());
    json.put("loadAverageStart", loadAverage());
    for (String kdamond : Main.damon()) {
      String note = "DAMON " + kdamond + ": its sampling takes a core for milliseconds at a time, which lengthens every "
          + "proxy's tail (docs/benchmarks.md, \"With DAMON off\"); as root, "
          + "'echo off > /sys/kernel/mm/damon/admin/kdamonds/N/state' for the run, 'echo on' after";
      notes.add(note);
      Main.progress("streams2000: %s", note);
    }
    Map<String, Object> optionsJson = new LinkedHashMap<>(Map.of("streams", streamCounts, "rate", rate, "seconds", seconds,
        "warmup", warmSeconds, "rounds", rounds, "jfr", jfr, "light", light, "prime", prime, "settle", settle,
        "settleMax", settleMax));
    optionsJson.put("bracket", bracket);
    json.put("options", optionsJson);
    int maxStreams = streamCounts.stream().mapToInt(Integer::intValue).max().orElse(2000);
    Map<String, List<String>> gateways = new LinkedHashMap<>();
    for (String name : gatewayNames) {
      gateways.put(name, gatewayProperties(name, maxStreams));
    }
    json.put("gateways", gateways);
    Path jfc = work.resolve("many-streams.jfc");
    Files.writeString(jfc, String.format(Locale.ROOT, JFC, profile ? SAMPLES : ""));
    Executor virtual = (Executor) Executors.class.getMethod("newVirtualThreadPerTaskExecutor").invoke(null);

    if (light) {
      table.append(String.format(Locale.ROOT, "%nMany slow streams through one proxy, LIGHT harness: client (one NIO selector "
          + "thread, every line checked) → proxy → stand-in (one NIO selector thread), %d tokens/s a stream, %d tokens (%d s) "
          + "measured after %d s warm-up (and " + prime + " rounds of 1 s streams before it"
          + (settle > 0 ? ", then more until the JIT took at most " + settle + "%% of a JVM proxy's CPU in two rounds running" : "")
          + "); latency = stand-in write to the client's read; added = minus direct in the same round; "
          + "CPU per token from /proc%n", rate, rate * seconds, seconds, warmSeconds));
      table.append(String.format(Locale.ROOT, "| %7s | %5s | %-15s | %7s | %7s | %8s | %7s | %10s | %10s | %12s | %9s | %9s | %8s | %6s | %6s | %8s | %8s | %8s | %8s | %9s | %6s | %6s | %6s | %7s |%n",
          "streams", "round", "path", "p50 ms", "p99 ms", "p99.9 ms", "max ms", "steady p50", "steady p99", "added st.p99",
          "added p50", "added p99", "proxy µs",
          "×Caddy", "JIT µs", "×C. −JIT", "stand-in", "client", "RSS MiB", "heap peak", "pinned", "submit", "failed", "retries"));
      table.append("|--------:|------:|-----------------|--------:|--------:|---------:|--------:|-----------:|-----------:|-------------:|----------:|----------:|---------:"
          + "|-------:|-------:|---------:|---------:|---------:|---------:|----------:|-------:|-------:|-------:|--------:|\n");
    } else {
      table.append(String.format(Locale.ROOT, "%nMany slow streams through one proxy: client (Keyway async, a virtual thread per "
          + "stream) → proxy → stand-in (a virtual thread per connection), %d tokens/s a stream, %d tokens (%d s) measured after "
          + "%d s warm-up; latency = stand-in write to user code; added = minus direct in the same round; CPU per token from /proc%n",
          rate, rate * seconds, seconds, warmSeconds));
      table.append(String.format(Locale.ROOT, "| %7s | %5s | %-15s | %7s | %7s | %9s | %9s | %8s | %6s | %6s | %8s | %8s | %8s | %8s | %9s | %6s | %6s | %6s |%n",
          "streams", "round", "path", "p50 ms", "p99 ms", "added p50", "added p99", "proxy µs", "×Caddy", "JIT µs", "×C. −JIT", "stand-in",
          "client", "RSS MiB", "heap peak", "pinned", "submit", "failed"));
      table.append("|--------:|------:|-----------------|--------:|--------:|----------:|----------:|---------:|-------:|-------:|---------:|---------:"
          + "|---------:|---------:|----------:|-------:|-------:|-------:|\n");
    }

    List<Object> results = new ArrayList<>();
    try (StandInProcess standIn = light ? StandInProcess.light(work.resolve("stand-in.log"))
            : new StandInProcess(work.resolve("stand-in.log"), List.of("virtual"));
        ProxyHop hop = new ProxyHop(work, standIn.baseUrl(), caddy, gateways)) {
      hop.clientExecutor(virtual).standInPid(standIn.pid()).primeRounds(prime).settle(settle, settleMax).bracket(bracket);
      if (light) {
        hop.sessions((path, url) -> new LightLoad(path, url, path.equals("direct")));
      }
      Map<String, Map<String, Object>> recorded = new LinkedHashMap<>();
      if (jfr) {
        hop.window(new JfrWindow(jfc, recorded));
      }
      hop.start().forEach(n -> notes.add("start: " + n));
      for (int streams : streamCounts) {
        for (int r = 1; r <= rounds; r++) {
          long t = System.nanoTime();
          String loadBefore = loadAverage();
          notes.add(String.format(Locale.ROOT, "load average before %d streams, round %d: %s", streams, r, loadBefore));
          recorded.clear();
          Map<String, ProxyHop.Load> loads = hop.measure(streams, rate, seconds, warmSeconds);
          ProxyHop.Load direct = loads.get("direct");
          ProxyHop.Load caddyLoad = loads.get("caddy");
          ProxyHop.Load caddyAfter = loads.get(ProxyHop.CADDY_AFTER);
          // The reference for ×Caddy: Caddy's window, or with --bracket the mean of its windows
          // before and after the gateways'.
          double caddyUs = caddyLoad == null ? Double.NaN : caddyAfter == null ? caddyLoad.proxyCpuUsPerToken
              : (caddyLoad.proxyCpuUsPerToken + caddyAfter.proxyCpuUsPerToken) / 2;
          Map<String, Object> rows = new LinkedHashMap<>();
          for (ProxyHop.Load load : loads.values()) {
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("tokens", load.tokens);
            row.put("failedStreams", load.failed);
            row.put("p50Ms", Main.round(load.p50Ms, 3));
            row.put("p99Ms", Main.round(load.p99Ms, 3));
            if (light) {
              row.put("p999Ms", Main.round(load.p999Ms, 3));
              row.put("maxMs", Main.round(load.maxMs, 3));
              row.put("steadyP50Ms", Main.round(load.steadyP50Ms, 3));
              row.put("steadyP99Ms", Main.round(load.steadyP99Ms, 3));
              row.put("addedSteadyP99Ms", Main.round(load.steadyP99Ms - direct.steadyP99Ms, 3));
              row.put("staleRetries", load.retries);
            }
            row.put("addedP50Ms", Main.round(load.p50Ms - direct.p50Ms, 3));
            row.put("addedP99Ms", Main.round(load.p99Ms - direct.p99Ms, 3));
            row.put("proxyCpuSeconds", Main.round(load.proxyCpuSeconds, 2));
            row.put("proxyCpuUsPerToken", Main.round(load.proxyCpuUsPerToken, 2));
            Double vsCaddy = caddyLoad == null ? null : Main.round(load.proxyCpuUsPerToken / caddyUs, 2);
            row.put("proxyCpuVsCaddy", vsCaddy);
            // PERF-ANCHORS.md's method: the JIT compiler threads' CPU apart (Caddy has none).
            row.put("proxyJitUsPerToken", Main.round(load.proxyJitUsPerToken, 2));
            Double vsCaddyNoJit = caddyLoad == null ? null
                : Main.round((load.proxyCpuUsPerToken - load.proxyJitUsPerToken) / caddyUs, 2);
            row.put("proxyCpuLessJitVsCaddy", vsCaddyNoJit);
            row.put("standInCpuSeconds", Main.round(load.standInCpuSeconds, 2));
            row.put("standInCpuUsPerToken", Main.round(load.standInCpuUsPerToken, 2));
            row.put("clientCpuUsPerToken", Main.round(load.clientCpuUsPerToken, 2));
            row.put("proxyRssMiB", Main.round(load.proxyRssMiB, 0));
            row.put("proxyRssPeakMiB", Main.round(load.proxyRssPeakMiB, 0));
            row.put("primeRounds", load.primeRounds);
            row.put("lastPrimeJitPercent", Main.round(load.lastPrimeJitPercent, 1));
            if (!load.proxyThreadsUsPerToken.isEmpty()) {
              row.put("proxyThreadsUsPerToken", load.proxyThreadsUsPerToken);
              threads.append(String.format(Locale.ROOT, "%d streams, round %d, %s, proxy CPU µs per token by thread: %s"
                  + " (after %d prime rounds, JIT %.1f%% of the last)%n",
                  streams, r, load.path, load.proxyThreadsUsPerToken, load.primeRounds, load.lastPrimeJitPercent));
            }
            Map<String, Object> rec = recorded.getOrDefault(load.path, Map.of());
            row.putAll(rec);
            rows.put(load.path, row);
            if (load.failed > 0) {
              notes.add(streams + " streams, round " + r + ", " + load.path + ": " + load.failed
                  + " streams failed, first: " + load.firstError);
            }
            if (light) {
              table.append(String.format(Locale.ROOT, "| %7d | %5d | %-15s | %7.2f | %7.2f | %8.2f | %7.2f | %10.2f | %10.2f | %12s ",
                  streams, r, load.path, load.p50Ms, load.p99Ms, load.p999Ms, load.maxMs, load.steadyP50Ms, load.steadyP99Ms,
                  load == direct ? "" : String.format(Locale.ROOT, "%+.2f", load.steadyP99Ms - direct.steadyP99Ms)));
            } else {
              table.append(String.format(Locale.ROOT, "| %7d | %5d | %-15s | %7.2f | %7.2f ", streams, r, load.path,
                  load.p50Ms, load.p99Ms));
            }
            table.append(String.format(Locale.ROOT,
                "| %9s | %9s | %8s | %6s | %6s | %8s | %8s | %8s | %8s | %9s | %6s | %6s | %6d |" + (light ? " %7d |" : ""),
                load == direct ? "" : String.format(Locale.ROOT, "%+.2f", load.p50Ms - direct.p50Ms),
                load == direct ? "" : String.format(Locale.ROOT, "%+.2f", load.p99Ms - direct.p99Ms),
                Main.fmt(Main.round(load.proxyCpuUsPerToken, 1), "%.1f"), Main.fmt(vsCaddy, "%.2f"),
                Main.fmt(Main.round(load.proxyJitUsPerToken, 1), "%.1f"), Main.fmt(vsCaddyNoJit, "%.2f"),
                Main.fmt(Main.round(load.standInCpuUsPerToken, 1), "%.1f"),
                Main.fmt(Main.round(load.clientCpuUsPerToken, 1), "%.1f"),
                Main.fmt(Main.round(load.proxyRssMiB, 0), "%.0f"),
                Main.fmt(rec.get("heapPeakUsedMiB"), "%.0f MiB"), Main.fmt(rec.get("pinnedEvents"), "%.0f"),
                Main.fmt(rec.get("submitFailedEvents"), "%.0f"), load.failed, load.retries));
            table.append(String.format(Locale.ROOT, "%n"));
          }
          Map<String, Object> result = new LinkedHashMap<>();
          result.put("streams", streams);
          result.put("round", r);
          result.put("loadAverageBefore", loadBefore);
          result.put("paths", rows);
          if (caddyLoad != null && caddyAfter != null) {
            double drift = caddyAfter.proxyCpuUsPerToken / caddyLoad.proxyCpuUsPerToken;
            result.put("caddyAfterVsBefore", Main.round(drift, 2));
            notes.add(String.format(Locale.ROOT, "%d streams, round %d: Caddy's second window %.1f µs a token, its first %.1f "
                + "(×%.2f: the same proxy measured twice, the harness's noise); ×Caddy is over their mean, %.1f",
                streams, r, caddyAfter.proxyCpuUsPerToken, caddyLoad.proxyCpuUsPerToken, drift, caddyUs));
          }
          results.add(result);
          Main.progress("  %d streams, round %d: %s (%.0f s)", streams, r, rows, (System.nanoTime() - t) / 1e9);
        }
      }
    }
    json.put("results", results);
    json.put("pinnedSites", pinnedSites);
    json.put("loadAverageEnd", loadAverage());
    json.put("notes", notes);
    StringBuilder out = new StringBuilder();
    out.append(String.format(Locale.ROOT, "%nKeyway many-streams benchmark (%s)%n", Main.machineLine()));
    out.append(table);
    out.append(threads.length() == 0 ? "" : "\n" + threads);
    out.append("\nproxy µs / stand-in / client = CPU µs per token delivered of the proxy process, the stand-in process and "
        + "the load generator (JIT included); JIT µs = the proxy's C1/C2 compiler threads' share of its figure; ×Caddy = the proxy's figure over Caddy's (with --bracket, over the mean of Caddy's windows before and after the gateways'); ×C. −JIT = the proxy's figure less its JIT share, over Caddy's (PERF-ANCHORS.md's method: warm up until the JIT settles, count it apart); RSS = the proxy's resident set at the end of the window; heap peak = largest "
        + "heap used in the gateway's JFR jdk.GCHeapSummary; pinned / submit = jdk.VirtualThreadPinned (threshold 0) and "
        + "jdk.VirtualThreadSubmitFailed events in the gateway during the measured window\n");
    if (!pinnedSites.isEmpty()) {
      out.append("\nPinned virtual threads by site (reason | first frame outside the JDK | top frame):\n");
      pinnedSites.forEach((gw, sites) -> sites.forEach((site, n) -> out.append(String.format(Locale.ROOT,
          "  %-15s %8d  %s%n", gw, n, site))));
    }
    out.append(String.format(Locale.ROOT, "%nLoad average at start %s, at end %s%n", json.get("loadAverageStart"),
        json.get("loadAverageEnd")));
    if (!notes.isEmpty()) {
      out.append("\nNotes:\n");
      notes.forEach(n -> out.append("  - ").append(n).append('\n'));
    }
    out.append(String.format(Locale.ROOT, "%nTotal %.0f s. JSON summary:%n", (System.nanoTime() - t0) / 1e9));
    out.append(new ObjectMapper().writeValueAsString(json)).append('\n');
    System.out.print(out);
    System.out.flush();
  }

  static String loadAverage() {
    try {
      return Files.readString(Path.of("/proc/loadavg")).trim();
    } catch (IOException e) {
      return "unknown";
    }
  }

  /** A JFR recording in each gateway over each measured window, started and stopped with jcmd. */
  private final class JfrWindow implements ProxyHop.Window {
    private final Path jfc;
    private final Map<String, Map<String, Object>> recorded;
    private int windows;
    private Path file;

    JfrWindow(Path jfc, Map<String, Map<String, Object>> recorded) {
      this.jfc = jfc;
      this.recorded = recorded;
    }

    @Override
    public void begin(String path, long pid) {
      if (pid <= 0 || !path.startsWith("gateway")) {
        return;
      }
      file = work.resolve(path + "-" + (++windows) + ".jfr");
      jcmd(pid, "JFR.start", "name=keyway-window", "settings=" + jfc);
    }

    @Override
    public void end(String path, long pid, ProxyHop.Load load) {
      if (pid <= 0 || !path.startsWith("gateway")) {
        return;
      }
      // No GC may have run in the window: heap use only grows between collections, so the larger of
      // the use before each GC and the use now is the window's peak.
      long heapNow = heapUsedKiB(jcmd(pid, "GC.heap_info")) * 1024;
      jcmd(pid, "JFR.stop", "name=keyway-window", "filename=" + file);
      Map<String, Object> row = new LinkedHashMap<>();
      try {
        long pinned = 0;
        long pinnedNanos = 0;
        long submitFailed = 0;
        long heapPeak = Math.max(0, heapNow);
        long heapAfterGcPeak = 0;
        Map<String, Long> sites = pinnedSites.computeIfAbsent(path, k -> new TreeMap<>());
        for (RecordedEvent e : RecordingFile.readAllEvents(file)) {
          switch (e.getEventType().getName()) {
            case "jdk.VirtualThreadPinned":
              pinned++;
              pinnedNanos += e.getDuration().toNanos();
              sites.merge(site(e), 1L, Long::sum);
              break;
            case "jdk.VirtualThreadSubmitFailed":
              submitFailed++;
              sites.merge("SUBMIT FAILED | " + site(e), 1L, Long::sum);
              break;
            case "jdk.GCHeapSummary":
              long used = e.getLong("heapUsed");
              heapPeak = Math.max(heapPeak, used);
              if ("After GC".equals(e.getString("when"))) {
                heapAfterGcPeak = Math.max(heapAfterGcPeak, used);
              }
              break;
            default:
              break;
          }
        }
        row.put("heapPeakUsedMiB", Main.round(heapPeak / 1048576.0, 0));
        row.put("heapUsedEndMiB", Main.round(heapNow / 1048576.0, 0));
        row.put("heapAfterGcPeakMiB", Main.round(heapAfterGcPeak / 1048576.0, 0));
        row.put("pinnedEvents", pinned);
        row.put("pinnedMs", Main.round(pinnedNanos / 1e6, 1));
        row.put("submitFailedEvents", submitFailed);
        row.put("jfr", file.toString());
      } catch (IOException | RuntimeException e) {
        notes.add("JFR of " + path + ": " + e);
      }
      recorded.put(path, row);
    }

    /** Why it pinned (JDK 24+), the first frame outside the JDK, and the top frame. */
    private String site(RecordedEvent e) {
      String reason = e.hasField("pinnedReason") ? String.valueOf(e.getValue("pinnedReason")) : "-";
      RecordedStackTrace stack = e.getStackTrace();
      if (stack == null || stack.getFrames().isEmpty()) {
        return reason + " | (no stack)";
      }
      List<RecordedFrame> frames = stack.getFrames();
      String app = "(JDK only)";
      for (RecordedFrame f : frames) {
        String type = f.getMethod().getType().getName();
        if (!type.startsWith("java.") && !type.startsWith("jdk.") && !type.startsWith("sun.")) {
          app = frame(f);
          break;
        }
      }
      return reason + " | " + app + " | " + frame(frames.get(0));
    }

    private String frame(RecordedFrame f) {
      return f.getMethod().getType().getName() + "." + f.getMethod().getName() + ":" + f.getLineNumber();
    }

    /** The "used NNNK" of G1's heap line in {@code GC.heap_info}, or -1. */
    private long heapUsedKiB(String heapInfo) {
      java.util.regex.Matcher m = java.util.regex.Pattern.compile("heap\\s+total[^\\n]*?used (\\d+)K").matcher(heapInfo);
      return m.find() ? Long.parseLong(m.group(1)) : -1;
    }

    private String jcmd(long pid, String... command) {
      List<String> cmd = new ArrayList<>();
      cmd.add(Path.of(System.getProperty("java.home"), "bin", "jcmd").toString());
      cmd.add(Long.toString(pid));
      cmd.addAll(Arrays.asList(command));
      try {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
          notes.add("jcmd " + String.join(" ", command) + " failed: " + output.trim());
        }
        return output;
      } catch (IOException e) {
        notes.add("jcmd " + String.join(" ", command) + ": " + e);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      return "";
    }
  }
}
