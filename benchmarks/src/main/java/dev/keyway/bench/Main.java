package dev.keyway.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.openjdk.jmh.profile.GCProfiler;
import org.openjdk.jmh.results.BenchmarkResult;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.format.OutputFormatFactory;
import org.openjdk.jmh.runner.options.ChainedOptionsBuilder;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;
import org.openjdk.jmh.runner.options.VerboseMode;

/**
 * Runs every scenario against one stand-in process and prints a table and a JSON summary on
 * standard output (progress goes to standard error).
 *
 * <pre>
 * java -jar benchmarks/target/benchmarks.jar quick|full [--scenarios 1,2,3,4,5] [--clients keyway,floor,...]
 * java -jar benchmarks/target/benchmarks.jar check      # every client against an in-process stand-in, once
 * java -jar benchmarks/target/benchmarks.jar limits     # what the usage limits cost (LimitsBench)
 * java -jar benchmarks/target/benchmarks.jar streams2000 # 2,000 slow streams through one gateway (ManyStreams, JDK 21+)
 * java -jar benchmarks/target/benchmarks.jar streams2000 --light true # the same with a one-thread NIO stand-in and load generator
 * java -jar benchmarks/target/benchmarks.jar routing     # what OllamaServers' routing costs per call (RoutingBench)
 * java -jar benchmarks/target/benchmarks.jar servers     # throughput over 1, 2, 3 stand-ins (ServersThroughput)
 * java -jar benchmarks/target/benchmarks.jar tls         # streamed chats through Caddy over HTTPS, Nagle on and off (TlsHop)
 * </pre>
 */
public final class Main {
  static final int CHUNKS = 100_000;

  /** How long each scenario runs. */
  record Settings(String mode, int forks, int s1Warmups, int s1WarmupSec, int s1Iterations, int s1IterationSec,
      int s23Warmups, int s23WarmupSec, int s23Iterations, int s23IterationSec, int s4Streams, int s4Rate,
      int s4Seconds, int s5Rate, int s5Seconds, int s5WarmupSeconds) {
    static Settings of(String mode) {
      switch (mode) {
        case "quick":
          return new Settings(mode, 1, 1, 3, 1, 3, 1, 1, 1, 1, 500, 30, 5, 30, 4, 2);
        case "full":
          return new Settings(mode, 2, 5, 2, 5, 3, 3, 2, 5, 2, 500, 30, 20, 30, 20, 5);
        default:
          throw new IllegalArgumentException("mode must be quick, full or check, not " + mode);
      }
    }
  }

  private final Settings settings;
  private final Set<String> scenarios;
  private final List<String> clients;
  private final Path work;
  private final PrintStream jmhLog;
  private final Map<String, Object> json = new LinkedHashMap<>();
  private final StringBuilder table = new StringBuilder();
  private final List<String> notes = new ArrayList<>();

  private Main(Settings settings, Set<String> scenarios, List<String> clients, Path work) throws IOException {
    this.settings = settings;
    this.scenarios = scenarios;
    this.clients = clients;
    this.work = work;
    this.jmhLog = new PrintStream(new FileOutputStream(work.resolve("jmh.log").toFile()), true, StandardCharsets.UTF_8);
  }

  public static void main(String[] args) throws Exception {
    String mode = args.length == 0 ? "quick" : args[0];
    if (mode.equals("check")) {
      Check.run(Arrays.copyOfRange(args, 1, args.length));
      System.exit(0);
    }
    if (mode.equals("limits")) {
      LimitsBench.run(Arrays.copyOfRange(args, 1, args.length));
      System.exit(0);
    }
    if (mode.equals("routing")) {
      RoutingBench.run(Arrays.copyOfRange(args, 1, args.length));
      System.exit(0);
    }
    if (mode.equals("servers")) {
      ServersThroughput.run(Arrays.copyOfRange(args, 1, args.length));
      System.exit(0);
    }
    if (mode.equals("tls")) {
      TlsHop.run(Arrays.copyOfRange(args, 1, args.length));
      System.exit(0);
    }
    if (mode.equals("streams2000")) {
      ManyStreams.run(Arrays.copyOfRange(args, 1, args.length));
      System.exit(0);
    }
    Set<String> scenarios = new LinkedHashSet<>(List.of("1", "2", "3", "4", "5"));
    List<String> clients = new ArrayList<>(BenchClient.ALL);
    for (int i = 1; i < args.length; i++) {
      if (args[i].equals("--scenarios") && i + 1 < args.length) {
        scenarios = new LinkedHashSet<>(Arrays.asList(args[++i].split(",")));
      } else if (args[i].equals("--clients") && i + 1 < args.length) {
        clients = new ArrayList<>(Arrays.asList(args[++i].split(",")));
      } else {
        throw new IllegalArgumentException("unknown argument " + args[i]);
      }
    }
    Path work = Files.createTempDirectory("keyway-bench-");
    Main main = new Main(Settings.of(mode), scenarios, clients, work);
    main.run();
    System.exit(0);
  }

  private void run() throws Exception {
    long t0 = System.nanoTime();
    progress("mode %s, scenarios %s, clients %s; logs in %s", settings.mode(), scenarios, clients, work);
    json.put("mode", settings.mode());
    json.put("date", Instant.now().toString());
    json.put("machine", machine());
    json.put("settings", settings);
    try (StandInProcess standIn = new StandInProcess(work.resolve("stand-in.log"))) {
      progress("stand-in pid %d on %s", standIn.pid(), standIn.baseUrl());
      if (scenarios.contains("1")) {
        streamDecode(standIn);
      }
      if (scenarios.contains("2")) {
        timeToFirstToken(standIn);
      }
      if (scenarios.contains("3")) {
        unary(standIn);
      }
      if (scenarios.contains("4")) {
        slowStreams(standIn);
      }
      if (scenarios.contains("5")) {
        gatewayHop(standIn);
      }
    }
    targets();
    json.put("notes", notes);
    json.put("wallSeconds", Math.round((System.nanoTime() - t0) / 1e8) / 10.0);
    StringBuilder out = new StringBuilder();
    out.append(String.format(Locale.ROOT, "%nKeyway benchmarks (%s run, %s)%n", settings.mode(), machineLine()));
    out.append(table);
    if (!notes.isEmpty()) {
      out.append("\nNotes:\n");
      notes.forEach(n -> out.append("  - ").append(n).append('\n'));
    }
    out.append(String.format(Locale.ROOT, "%nTotal %.0f s. JSON summary:%n", (System.nanoTime() - t0) / 1e9));
    ObjectMapper mapper = new ObjectMapper().disable(SerializationFeature.INDENT_OUTPUT);
    out.append(mapper.writeValueAsString(json)).append('\n');
    System.out.print(out);
    System.out.flush();
  }

  // ---- scenarios 1-3: JMH ----

  private ChainedOptionsBuilder jmh(String benchmarkClass, String method, String client, StandInProcess standIn,
      int warmups, int warmupSec, int iterations, int iterationSec) {
    List<String> jvm = new ArrayList<>(Child.FORK_HEAP);
    jvm.add("-Dbench.url=" + standIn.baseUrl());
    return new OptionsBuilder()
        .include("^" + Pattern.quote(benchmarkClass) + "\\." + method + "$")
        .param("client", client)
        .forks(settings.forks())
        .warmupIterations(warmups).warmupTime(TimeValue.seconds(warmupSec))
        .measurementIterations(iterations).measurementTime(TimeValue.seconds(iterationSec))
        .jvmArgs(jvm.toArray(String[]::new))
        .timeout(TimeValue.minutes(5))
        .shouldFailOnError(true);
  }

  private RunResult runJmh(ChainedOptionsBuilder options) throws Exception {
    jmhLog.println("==== " + Instant.now());
    Collection<RunResult> results = new Runner(options.build(),
        OutputFormatFactory.createFormatInstance(jmhLog, VerboseMode.NORMAL)).run();
    if (results.isEmpty()) {
      throw new IllegalStateException("JMH returned no result");
    }
    return results.iterator().next();
  }

  @SuppressWarnings("rawtypes") // JMH's own signature
  private static double secondary(RunResult r, String suffix) {
    for (var e : r.getSecondaryResults().entrySet()) {
      if (e.getKey().endsWith(suffix)) {
        return e.getValue().getScore();
      }
    }
    return Double.NaN;
  }

  private void streamDecode(StandInProcess standIn) {
    progress("scenario 1: stream decode, %,d chunks a stream", CHUNKS);
    Map<String, Map<String, Object>> rows = new LinkedHashMap<>();
    List<String> decoders = new ArrayList<>(clients);
    if (decoders.contains("floor")) {
      decoders.add(decoders.indexOf("floor") + 1, "floor-min"); // only here: the lowest possible allocation
    }
    for (String client : decoders) {
      long t = System.nanoTime();
      Map<String, Object> row = new LinkedHashMap<>();
      try {
        RunResult r = runJmh(jmh(StreamDecodeBench.class.getName(), "decode", client, standIn, settings.s1Warmups(),
            settings.s1WarmupSec(), settings.s1Iterations(), settings.s1IterationSec())
            .addProfiler(GCProfiler.class).addProfiler(CpuProfiler.class));
        double msPerStream = r.getPrimaryResult().getScore();
        double cpuNs = secondary(r, "cpu.ns/op") / CHUNKS;
        double alloc = secondary(r, "gc.alloc.rate.norm") / CHUNKS;
        row.put("msPerStream", round(msPerStream, 2));
        row.put("chunksPerSecond", round(CHUNKS / (msPerStream / 1e3), 0));
        row.put("cpuNsPerChunk", round(cpuNs, 1));
        row.put("chunksPerCpuSecond", round(1e9 / cpuNs, 0));
        row.put("allocBytesPerChunk", round(alloc, 1));
        row.put("cpuCores", round(secondary(r, "cpu.util"), 2));
        row.put("jitNsPerChunk", round(secondary(r, "cpu.jit.ns/op") / CHUNKS, 1));
        row.put("streams", totalOps(r));
      } catch (Exception e) {
        row.put("error", String.valueOf(e));
        notes.add("scenario 1, " + client + ": " + e);
      }
      rows.put(client, row);
      progress("  %-13s %s (%.0f s)", client, row, (System.nanoTime() - t) / 1e9);
    }
    Map<String, Object> floor = rows.getOrDefault("floor", Map.of());
    Map<String, Object> floorMin = rows.getOrDefault("floor-min", Map.of());
    for (Map<String, Object> row : rows.values()) {
      row.put("cpuVsFloor", ratio(row.get("cpuNsPerChunk"), floor.get("cpuNsPerChunk")));
      row.put("allocVsFloor", ratio(row.get("allocBytesPerChunk"), floor.get("allocBytesPerChunk")));
      row.put("allocVsFloorMin", ratio(row.get("allocBytesPerChunk"), floorMin.get("allocBytesPerChunk")));
    }
    json.put("streamDecode", rows);
    table.append(String.format(Locale.ROOT,
        "%n1. Stream decode: one stream of %,d chat chunks (%.1f MB of NDJSON), as fast as possible%n",
        CHUNKS, Wire.ndjson(CHUNKS).length / 1e6));
    table.append(String.format(Locale.ROOT, "| %-13s | %10s | %12s | %13s | %12s | %8s | %8s |%n", "client",
        "chunks/s", "CPU ns/chunk", "chunks/CPU-s", "alloc B/chunk", "CPU×floor", "alloc×floor"));
    table.append("|---------------|-----------:|-------------:|--------------:|-------------:|---------:|---------:|\n");
    rows.forEach((client, row) -> table.append(String.format(Locale.ROOT, "| %-13s | %10s | %12s | %13s | %12s | %8s | %8s |%n",
        client, fmt(row.get("chunksPerSecond"), "%,.0f"), fmt(row.get("cpuNsPerChunk"), "%,.0f"),
        fmt(row.get("chunksPerCpuSecond"), "%,.0f"), fmt(row.get("allocBytesPerChunk"), "%,.0f"),
        fmt(row.get("cpuVsFloor"), "%.2f"), fmt(row.get("allocVsFloor"), "%.2f"))));
    table.append("floor: OkHttp + one JsonParser, every field read with getText(); floor-min: only the content becomes a "
        + "String (the rest read in the parser's buffer). CPU = fork process CPU less JIT threads; alloc = JMH "
        + "gc.alloc.rate.norm / chunks.\n");
  }

  private static long totalOps(RunResult r) {
    long ops = 0;
    for (BenchmarkResult b : r.getBenchmarkResults()) {
      ops += b.getIterationResults().stream().mapToLong(i -> i.getMetadata().getAllOps()).sum();
    }
    return ops;
  }

  private void timeToFirstToken(StandInProcess standIn) {
    progress("scenario 2: time to first token");
    Map<String, Map<String, Object>> rows = new LinkedHashMap<>();
    for (String client : clients) {
      long t = System.nanoTime();
      Map<String, Object> row = new LinkedHashMap<>();
      try {
        long[] before = standIn.stats();
        RunResult r = runJmh(jmh(TtftBench.class.getName(), "firstToken", client, standIn, settings.s23Warmups(),
            settings.s23WarmupSec(), settings.s23Iterations(), settings.s23IterationSec())
            .addProfiler(TtftProfiler.class));
        long[] after = standIn.stats();
        row.put("p50Us", round(secondary(r, "ttft.p50.us"), 1));
        row.put("p99Us", round(secondary(r, "ttft.p99.us"), 1));
        row.put("meanUs", round(secondary(r, "ttft.mean.us"), 1));
        row.put("wholeCallUs", round(r.getPrimaryResult().getScore(), 1));
        row.put("connections", after[0] - before[0]);
        row.put("requests", after[1] - before[1]);
      } catch (Exception e) {
        row.put("error", String.valueOf(e));
        notes.add("scenario 2, " + client + ": " + e);
      }
      rows.put(client, row);
      progress("  %-13s %s (%.0f s)", client, row, (System.nanoTime() - t) / 1e9);
    }
    json.put("timeToFirstToken", rows);
    table.append("\n2. Time to first token: call to first content in user code, server answering at once (warm)\n");
    table.append(String.format(Locale.ROOT, "| %-13s | %8s | %8s | %8s | %13s | %11s | %9s |%n", "client", "p50 µs",
        "p99 µs", "mean µs", "whole call µs", "connections", "requests"));
    table.append("|---------------|---------:|---------:|---------:|--------------:|------------:|----------:|\n");
    rows.forEach((client, row) -> table.append(String.format(Locale.ROOT, "| %-13s | %8s | %8s | %8s | %13s | %11s | %9s |%n",
        client, fmt(row.get("p50Us"), "%,.0f"), fmt(row.get("p99Us"), "%,.0f"), fmt(row.get("meanUs"), "%,.0f"),
        fmt(row.get("wholeCallUs"), "%,.0f"), fmt(row.get("connections"), "%,.0f"), fmt(row.get("requests"), "%,.0f"))));
  }

  private void unary(StandInProcess standIn) {
    progress("scenario 3: unary round trips");
    Map<String, Map<String, Object>> rows = new LinkedHashMap<>();
    for (String client : clients) {
      if (client.equals("keyway-async")) {
        continue; // unary calls have no async variant: same as keyway
      }
      Map<String, Object> row = new LinkedHashMap<>();
      for (String method : List.of("unary1", "unary16")) {
        String threads = method.substring("unary".length());
        long t = System.nanoTime();
        try {
          long[] before = standIn.stats();
          RunResult r = runJmh(jmh(UnaryBench.class.getName(), method, client, standIn, settings.s23Warmups(),
              settings.s23WarmupSec(), settings.s23Iterations(), settings.s23IterationSec()));
          long[] after = standIn.stats();
          row.put("rps" + threads, round(r.getPrimaryResult().getScore(), 0));
          row.put("connections" + threads, after[0] - before[0]);
          row.put("requests" + threads, after[1] - before[1]);
        } catch (Exception e) {
          row.put("error" + threads, String.valueOf(e));
          notes.add("scenario 3, " + client + ", " + threads + " threads: " + e);
        }
        progress("  %-13s %s threads: %s (%.0f s)", client, threads, row, (System.nanoTime() - t) / 1e9);
      }
      rows.put(client, row);
    }
    json.put("unary", rows);
    table.append("\n3. Unary chat round trip (\"stream\": false), one shared client; connections = sockets the "
        + "stand-in accepted during the run (warm-up included)\n");
    table.append(String.format(Locale.ROOT, "| %-13s | %10s | %11s | %11s | %12s | %11s | %11s |%n", "client",
        "1 thr req/s", "connections", "requests", "16 thr req/s", "connections", "requests"));
    table.append("|---------------|-----------:|------------:|------------:|-------------:|------------:|------------:|\n");
    rows.forEach((client, row) -> table.append(String.format(Locale.ROOT, "| %-13s | %11s | %11s | %11s | %12s | %11s | %11s |%n",
        client, fmt(row.get("rps1"), "%,.0f"), fmt(row.get("connections1"), "%,.0f"), fmt(row.get("requests1"), "%,.0f"),
        fmt(row.get("rps16"), "%,.0f"), fmt(row.get("connections16"), "%,.0f"), fmt(row.get("requests16"), "%,.0f"))));
  }

  // ---- scenario 4 ----

  private void slowStreams(StandInProcess standIn) throws Exception {
    progress("scenario 4: %d streams at %d tokens/s for %d s", settings.s4Streams(), settings.s4Rate(), settings.s4Seconds());
    List<String[]> variants = new ArrayList<>();
    for (String client : clients) {
      switch (client) {
        case "keyway-async":
          variants.add(new String[] {"keyway-async", "keyway-async", "native"});
          break;
        case "keyway":
          variants.add(new String[] {"keyway-vthreads", "keyway", "virtual"});
          variants.add(new String[] {"keyway-threads", "keyway", "native"});
          break;
        case "floor":
        case "ollama4j":
          variants.add(new String[] {client + "-threads", client, "native"});
          break;
        default:
          variants.add(new String[] {client, client, "native"});
      }
    }
    Map<String, Object> rows = new LinkedHashMap<>();
    ObjectMapper mapper = new ObjectMapper();
    for (String[] v : variants) {
      if (v[2].equals("virtual") && Runtime.version().feature() < 21) {
        notes.add("scenario 4, " + v[0] + ": skipped, virtual threads need JDK 21+ (this is JDK "
            + Runtime.version().feature() + "); run the jar with a JDK 21+ java to include it");
        continue;
      }
      long t = System.nanoTime();
      try (Child child = Child.start(Child.FORK_HEAP, SlowStreams.class.getName(),
          List.of(v[1], v[2], Integer.toString(settings.s4Streams()), Integer.toString(settings.s4Rate()),
              Integer.toString(settings.s4Seconds()), standIn.baseUrl()),
          work.resolve("scenario4-" + v[0] + ".log"))) {
        String line = child.await(l -> l.startsWith("RESULT "), settings.s4Seconds() + 300L);
        @SuppressWarnings("unchecked")
        Map<String, Object> row = mapper.readValue(line.substring("RESULT ".length()), Map.class);
        rows.put(v[0], row);
        if (((Number) row.get("failed")).intValue() > 0) {
          notes.add("scenario 4, " + v[0] + ": " + row.get("failed") + " streams failed, first: " + row.get("firstError"));
        }
        child.process.waitFor(30, TimeUnit.SECONDS);
      } catch (Exception e) {
        rows.put(v[0], Map.of("error", String.valueOf(e)));
        notes.add("scenario 4, " + v[0] + ": " + e);
      }
      progress("  %-16s %s (%.0f s)", v[0], rows.get(v[0]), (System.nanoTime() - t) / 1e9);
    }
    json.put("slowStreams", rows);
    table.append(String.format(Locale.ROOT, "%n4. Many slow streams: %d concurrent streams × %d tokens/s × %d s, "
        + "starts spread over one token period; CPU = the client process (JIT excluded); open mid = streams open at the half-way GC%n",
        settings.s4Streams(), settings.s4Rate(), settings.s4Seconds()));
    table.append(String.format(Locale.ROOT, "| %-16s | %9s | %6s | %8s | %7s | %9s | %12s | %10s | %13s | %8s | %8s |%n",
        "client", "completed", "wall s", "open mid", "CPU s", "CPU cores", "CPU µs/token", "heap peak", "live heap mid",
        "threads", "thr peak"));
    table.append("|------------------|----------:|-------:|---------:|--------:|----------:|-------------:|-----------:|--------------:|---------:|---------:|\n");
    rows.forEach((name, o) -> {
      @SuppressWarnings("unchecked")
      Map<String, Object> row = (Map<String, Object>) o;
      table.append(String.format(Locale.ROOT, "| %-16s | %9s | %6s | %8s | %7s | %9s | %12s | %10s | %13s | %8s | %8s |%n",
          name, row.containsKey("completed") ? row.get("completed") + "/" + row.get("streams") : "error",
          fmt(row.get("wallSeconds"), "%.1f"), fmt(row.get("openMid"), "%.0f"), fmt(row.get("cpuSeconds"), "%.2f"), fmt(row.get("cpuCores"), "%.2f"),
          fmt(row.get("cpuNsPerToken") instanceof Number ? ((Number) row.get("cpuNsPerToken")).doubleValue() / 1e3 : null, "%.1f"),
          fmt(row.get("heapPeakMiB"), "%.0f MiB"), fmt(row.get("heapLiveMidMiB"), "%.0f MiB"),
          fmt(row.get("threadsMid"), "%.0f"), fmt(row.get("threadsPeak"), "%.0f")));
    });
  }

  // ---- scenario 5 ----

  private void gatewayHop(StandInProcess standIn) throws Exception {
    progress("scenario 5: gateway hop vs Caddy vs direct");
    Map<String, Object> rows = new LinkedHashMap<>();
    try (ProxyHop hop = new ProxyHop(work, standIn.baseUrl())) {
      List<String> startNotes = hop.start();
      startNotes.forEach(n -> notes.add("scenario 5: " + n));
      for (int streams : new int[] {50, 200}) {
        long t = System.nanoTime();
        Map<String, ProxyHop.Load> loads = hop.measure(streams, settings.s5Rate(), settings.s5Seconds(),
            settings.s5WarmupSeconds());
        ProxyHop.Load direct = loads.get("direct");
        ProxyHop.Load caddy = loads.get("caddy");
        Map<String, Object> byPath = new LinkedHashMap<>();
        for (ProxyHop.Load load : loads.values()) {
          Map<String, Object> row = new LinkedHashMap<>();
          row.put("tokens", load.tokens);
          row.put("failedStreams", load.failed);
          row.put("p50Ms", round(load.p50Ms, 3));
          row.put("p99Ms", round(load.p99Ms, 3));
          row.put("addedP50Ms", round(load.p50Ms - direct.p50Ms, 3));
          row.put("addedP99Ms", round(load.p99Ms - direct.p99Ms, 3));
          row.put("proxyCpuSeconds", round(load.proxyCpuSeconds, 2));
          row.put("proxyCpuUsPerToken", round(load.proxyCpuUsPerToken, 2));
          row.put("proxyCpuVsCaddy", caddy == null ? null : round(load.proxyCpuUsPerToken / caddy.proxyCpuUsPerToken, 2));
          if (load.failed > 0) {
            notes.add("scenario 5, " + load.path + " at " + streams + " streams: " + load.failed
                + " streams failed, first: " + load.firstError);
          }
          byPath.put(load.path, row);
        }
        rows.put(Integer.toString(streams), byPath);
        progress("  %d streams: %s (%.0f s)", streams, byPath, (System.nanoTime() - t) / 1e9);
      }
    }
    json.put("gatewayHop", rows);
    table.append(String.format(Locale.ROOT, "%n5. Gateway hop: client (Keyway async) → proxy → stand-in, %d tokens/s "
        + "a stream for %d s; latency = stand-in write to user code; added = minus direct; proxy CPU from /proc%n",
        settings.s5Rate(), settings.s5Seconds()));
    table.append(String.format(Locale.ROOT, "| %7s | %-8s | %8s | %8s | %11s | %11s | %14s | %8s |%n", "streams",
        "path", "p50 ms", "p99 ms", "added p50", "added p99", "proxy µs/token", "×Caddy"));
    table.append("|--------:|----------|---------:|---------:|------------:|------------:|---------------:|---------:|\n");
    rows.forEach((streams, o) -> {
      @SuppressWarnings("unchecked")
      Map<String, Map<String, Object>> byPath = (Map<String, Map<String, Object>>) o;
      byPath.forEach((path, row) -> table.append(String.format(Locale.ROOT,
          "| %7s | %-8s | %8s | %8s | %11s | %11s | %14s | %8s |%n", streams, path,
          fmt(row.get("p50Ms"), "%.2f"), fmt(row.get("p99Ms"), "%.2f"),
          path.equals("direct") ? "" : fmt(row.get("addedP50Ms"), "%+.2f ms"),
          path.equals("direct") ? "" : fmt(row.get("addedP99Ms"), "%+.2f ms"),
          fmt(row.get("proxyCpuUsPerToken"), "%.1f"), fmt(row.get("proxyCpuVsCaddy"), "%.2f"))));
    });
  }

  // ---- targets ----

  @SuppressWarnings("unchecked")
  private void targets() {
    Map<String, Object> ratios = new LinkedHashMap<>();
    List<Object[]> checks = new ArrayList<>();
    Map<String, Map<String, Object>> s1 = (Map<String, Map<String, Object>>) json.get("streamDecode");
    if (s1 != null && s1.containsKey("keyway") && s1.containsKey("floor")) {
      Map<String, Object> k = s1.get("keyway");
      Map<String, Object> f = s1.get("floor");
      Double cpu = ratio(f.get("cpuNsPerChunk"), k.get("cpuNsPerChunk")); // = keyway chunks/CPU-s ÷ floor's
      Double alloc = ratio(k.get("allocBytesPerChunk"), f.get("allocBytesPerChunk"));
      ratios.put("keywayChunksPerCpuSecondVsFloor", cpu);
      ratios.put("keywayAllocPerChunkVsFloor", alloc);
      checks.add(new Object[] {"Keyway stream decode chunks per CPU-second ≥ 0.9× the floor's", cpu, cpu != null && cpu >= 0.9});
      checks.add(new Object[] {"Keyway bytes allocated per chunk ≤ 1.5× the floor's", alloc, alloc != null && alloc <= 1.5});
      if (s1.containsKey("floor-min")) {
        ratios.put("keywayAllocPerChunkVsFloorMin", ratio(k.get("allocBytesPerChunk"), s1.get("floor-min").get("allocBytesPerChunk")));
        ratios.put("keywayChunksPerCpuSecondVsFloorMin", ratio(s1.get("floor-min").get("cpuNsPerChunk"), k.get("cpuNsPerChunk")));
      }
      String bestPeer = null;
      double best = 0;
      double bestWall = 0;
      for (String peer : List.of("ollama4j", "langchain4j", "springai")) {
        Map<String, Object> p = s1.get(peer);
        if (p != null && p.get("chunksPerCpuSecond") instanceof Number) {
          double v = ((Number) p.get("chunksPerCpuSecond")).doubleValue();
          if (v > best) {
            best = v;
            bestPeer = peer;
          }
          bestWall = Math.max(bestWall, ((Number) p.get("chunksPerSecond")).doubleValue());
        }
      }
      if (bestPeer != null && k.get("chunksPerCpuSecond") instanceof Number) {
        double vsPeer = ((Number) k.get("chunksPerCpuSecond")).doubleValue() / best;
        double vsPeerWall = ((Number) k.get("chunksPerSecond")).doubleValue() / bestWall;
        ratios.put("bestPeerScenario1", bestPeer);
        ratios.put("keywayChunksPerCpuSecondVsBestPeer", round(vsPeer, 2));
        ratios.put("keywayChunksPerSecondVsBestPeer", round(vsPeerWall, 2));
        checks.add(new Object[] {"Keyway ≥ 2× the best peer (" + bestPeer + ") on scenario 1, chunks per CPU-second",
            round(vsPeer, 2), vsPeer >= 2});
        checks.add(new Object[] {"Keyway ≥ 2× the best peer on scenario 1, chunks per second (wall)",
            round(vsPeerWall, 2), vsPeerWall >= 2});
      }
    }
    Map<String, Map<String, Map<String, Object>>> s5 = (Map<String, Map<String, Map<String, Object>>>) json.get("gatewayHop");
    if (s5 != null && s5.containsKey("200")) {
      Map<String, Object> gw = s5.get("200").get("gateway");
      if (gw != null) {
        Object added = gw.get("addedP99Ms");
        ratios.put("gatewayAddedP99MsAt200Streams", added);
        checks.add(new Object[] {"gateway p99 added per token ≤ 2 ms at 200 streams (ms)", added,
            added instanceof Number && ((Number) added).doubleValue() <= 2});
        Object vsCaddy = gw.get("proxyCpuVsCaddy");
        ratios.put("gatewayCpuPerTokenVsCaddyAt200Streams", vsCaddy);
        checks.add(new Object[] {"gateway CPU per token within 2× of Caddy's at 200 streams", vsCaddy,
            vsCaddy instanceof Number && ((Number) vsCaddy).doubleValue() <= 2});
      }
      Map<String, Object> gw50 = s5.containsKey("50") ? s5.get("50").get("gateway") : null;
      if (gw50 != null) {
        ratios.put("gatewayAddedP99MsAt50Streams", gw50.get("addedP99Ms"));
        ratios.put("gatewayCpuPerTokenVsCaddyAt50Streams", gw50.get("proxyCpuVsCaddy"));
      }
    }
    Map<String, Object> targets = new LinkedHashMap<>();
    table.append("\nTargets (ratios from this one run)\n");
    table.append("| target | value | met |\n|---|---:|:---:|\n");
    for (Object[] c : checks) {
      targets.put((String) c[0], Map.of("value", c[1] == null ? "n/a" : c[1], "met", c[2]));
      table.append(String.format(Locale.ROOT, "| %s | %s | %s |%n", c[0], fmt(c[1], "%.2f"), (Boolean) c[2] ? "yes" : "NO"));
    }
    json.put("ratios", ratios);
    json.put("targets", targets);
  }

  // ---- helpers ----

  static Map<String, Object> machine() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("nproc", Runtime.getRuntime().availableProcessors());
    m.put("cpu", lscpuModel());
    m.put("memoryGiB", round(((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
        .getTotalMemorySize() / 1073741824.0, 1));
    m.put("jdk", System.getProperty("java.vm.name") + " " + System.getProperty("java.runtime.version"));
    m.put("os", System.getProperty("os.name") + " " + System.getProperty("os.version"));
    m.put("forkJvmArgs", Child.FORK_HEAP);
    m.put("damon", damon());
    return m;
  }

  /**
   * The kernel's DAMON monitors (kdamond threads) that are on, each as "kdamonds/N: on, operations,
   * sample interval": empty when there are none or the kernel has no DAMON sysfs. On the 2-core machine
   * of docs/benchmarks.md one is on (physical addresses sampled every 500 ms, for page-out), and
   * with it on, every proxy's added p99 at 2,000 streams was two to eight times what it was with it
   * off (docs/benchmarks.md, "With DAMON off", stop 22).
   */
  static List<String> damon() {
    List<String> on = new ArrayList<>();
    Path admin = Path.of("/sys/kernel/mm/damon/admin/kdamonds");
    try (var dirs = Files.list(admin)) {
      for (Path kdamond : dirs.filter(Files::isDirectory).sorted().toList()) {
        String state = readTrimmed(kdamond.resolve("state"));
        if (!"on".equals(state)) {
          continue;
        }
        Path context = kdamond.resolve("contexts/0");
        String sample = readTrimmed(context.resolve("monitoring_attrs/intervals/sample_us"));
        on.add("kdamonds/" + kdamond.getFileName() + ": on, " + readTrimmed(context.resolve("operations"))
            + ", sample " + (sample.matches("\\d+") ? Long.parseLong(sample) / 1000 + " ms" : sample));
      }
    } catch (IOException | RuntimeException e) {
      // no DAMON sysfs here (not Linux, an older kernel, or not readable)
    }
    return on;
  }

  private static String readTrimmed(Path file) {
    try {
      return Files.readString(file).trim();
    } catch (IOException e) {
      return "?";
    }
  }

  static String machineLine() {
    Map<String, Object> m = machine();
    return m.get("nproc") + " CPUs " + m.get("cpu") + ", " + m.get("jdk");
  }

  private static String lscpuModel() {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
        if (line.startsWith("model name")) {
          return line.substring(line.indexOf(':') + 1).trim();
        }
      }
    } catch (IOException e) {
      // not Linux
    }
    return "unknown";
  }

  static Double round(double v, int digits) {
    if (Double.isNaN(v) || Double.isInfinite(v)) {
      return null;
    }
    double scale = Math.pow(10, digits);
    return Math.round(v * scale) / scale;
  }

  static Double ratio(Object a, Object b) {
    if (a instanceof Number && b instanceof Number && ((Number) b).doubleValue() != 0) {
      return round(((Number) a).doubleValue() / ((Number) b).doubleValue(), 2);
    }
    return null;
  }

  static String fmt(Object v, String format) {
    if (v instanceof Number) {
      return String.format(Locale.ROOT, format, ((Number) v).doubleValue());
    }
    return v == null ? "n/a" : v.toString();
  }

  /** A mode's {@code --name value} pairs, in order; anything else is refused. */
  static Map<String, String> options(String[] args) {
    Map<String, String> options = new LinkedHashMap<>();
    for (int i = 0; i < args.length; i++) {
      if (!args[i].startsWith("--") || i + 1 >= args.length) {
        throw new IllegalArgumentException("unknown argument " + args[i]);
      }
      options.put(args[i].substring(2), args[++i]);
    }
    return options;
  }

  static void progress(String format, Object... args) {
    System.err.printf(Locale.ROOT, "[bench %tT] " + format + "%n", prepend(Instant.now().atZone(java.time.ZoneId.systemDefault()), args));
    System.err.flush();
  }

  private static Object[] prepend(Object first, Object[] rest) {
    Object[] all = new Object[rest.length + 1];
    all[0] = first;
    System.arraycopy(rest, 0, all, 1, rest.length);
    return all;
  }
}
