package dev.keyway.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.jspecify.annotations.Nullable;

/**
 * Scenario 5: the same streams straight at the stand-in, through Keyway's gateway (its own JVM)
 * and through Caddy's {@code reverse_proxy} (the Caddyfile of docs/proxies.md). Every token carries
 * the stand-in's {@link System#nanoTime()} at its write; the client (Keyway, async) subtracts it
 * from its own clock when the token reaches user code. Added latency = a path's percentile minus
 * the direct path's. Proxy CPU from /proc/PID/stat over the measured window, per token delivered.
 */
final class ProxyHop implements AutoCloseable {
  static final String CADDY = "/usr/bin/caddy";
  /** The path name of {@link NioRelay}, the event-driven floor, among the gateways. */
  static final String NIO_RELAY = "nio-relay";
  /** The path name of {@link JdkRelay}: async Tomcat + the JDK's HttpClient, no Keyway checks. */
  static final String JDK_RELAY = "jdk-relay";
  /** The path name of {@link NettyRelay}: Reactor Netty server and client, no Keyway checks. */
  static final String NETTY_RELAY = "netty-relay";

  private final Path dir;
  private final String direct;
  private final boolean withCaddy;
  /** Gateway name → its extra GatewayApp properties; each runs in a JVM of its own. */
  private final Map<String, List<String>> gatewaySettings;
  private final Map<String, Child> gateways = new LinkedHashMap<>();
  private final Map<String, String> gatewayUrls = new LinkedHashMap<>();
  private Process caddy;
  private String caddyUrl;
  private java.util.concurrent.Executor clientExecutor;
  private long standInPid = -1;
  private Window window;
  /** Opens the load generator's session on one path: (path name, base URL) → session. */
  private java.util.function.BiFunction<String, String, Session> sessions;
  private int primeRounds;
  private double settlePercent;
  private int settleMaxRounds;
  private boolean bracket;

  /** The load generator on one path, kept across that path's warm-up and measured run. */
  interface Session extends AutoCloseable {
    /** Runs {@code streams} streams of {@code rate × seconds} tokens; fills {@code load} when not null. */
    void run(int streams, int rate, int seconds, Load load) throws InterruptedException;

    @Override
    void close();
  }

  /** Called around each measured window (not the warm-up) of each path. */
  interface Window {
    /** Before the measured run on {@code path}; {@code pid} is the proxy's, or -1 for direct. */
    void begin(String path, long pid);

    /** After it, with what was measured. */
    void end(String path, long pid, Load load);
  }

  ProxyHop(Path dir, String directUrl) {
    this(dir, directUrl, true, Map.of("gateway", List.of()));
  }

  /** Direct, Caddy when {@code withCaddy}, and one gateway per entry of {@code gateways}, in that order. */
  ProxyHop(Path dir, String directUrl, boolean withCaddy, Map<String, List<String>> gateways) {
    this.dir = dir;
    this.direct = directUrl;
    this.withCaddy = withCaddy;
    this.gatewaySettings = new LinkedHashMap<>(gateways);
  }

  /** Runs the load generator's streams on {@code executor} (e.g. a virtual thread each) instead of Keyway's own threads. */
  ProxyHop clientExecutor(java.util.concurrent.Executor executor) {
    this.clientExecutor = executor;
    return this;
  }

  /** Also measures this process's CPU (the stand-in's) over each measured window. */
  ProxyHop standInPid(long pid) {
    this.standInPid = pid;
    return this;
  }

  /** Uses another load generator than the Keyway client (e.g. {@link LightLoad}). */
  ProxyHop sessions(java.util.function.BiFunction<String, String, Session> sessions) {
    this.sessions = sessions;
    return this;
  }

  /**
   * Before each path's warm-up, {@code rounds} rounds of one-second streams at the measured
   * concurrency: enough calls for the proxy's JIT to compile its per-call code too (a long-running
   * proxy has), which the few thousand calls of a warm-up leave interpreted. Default 0.
   */
  ProxyHop primeRounds(int rounds) {
    this.primeRounds = rounds;
    return this;
  }

  /**
   * After the {@link #primeRounds} rounds, more one-second rounds on a proxy that has a JIT, until
   * its compiler threads took at most {@code percent}% of its CPU in two rounds running, and at
   * most {@code maxRounds} rounds in all: PERF-ANCHORS.md's "warm up until the JIT settles" as a
   * check, where a fixed count left it compiling the relay and per-call code in some windows. 0
   * (the default) keeps the fixed count.
   */
  ProxyHop settle(double percent, int maxRounds) {
    this.settlePercent = percent;
    this.settleMaxRounds = maxRounds;
    return this;
  }

  /**
   * Measures Caddy a second time, as path {@value #CADDY_AFTER}, after the gateways: the two Caddy
   * windows bracket the gateways' (A, B, A), so a machine whose speed drifts during a run moves
   * both references, and the second window over the first is the harness's own noise (the same
   * proxy, measured twice). No effect without Caddy.
   */
  ProxyHop bracket(boolean bracket) {
    this.bracket = bracket;
    return this;
  }

  /** The path name of Caddy's second window ({@link #bracket}). */
  static final String CADDY_AFTER = "caddy-after";

  /** The main class of the floor named {@code name}, or null for a gateway. */
  private static @Nullable Class<?> floorMain(String name) {
    switch (name) {
      case NIO_RELAY:
        return NioRelay.class;
      case JDK_RELAY:
        return JdkRelay.class;
      case NETTY_RELAY:
        return NettyRelay.class;
      default:
        return null;
    }
  }

  ProxyHop window(Window window) {
    this.window = window;
    return this;
  }

  /** Starts both proxies; returns a note for each that could not start. */
  List<String> start() {
    List<String> notes = new ArrayList<>();
    for (Map.Entry<String, List<String>> settings : gatewaySettings.entrySet()) {
      String name = settings.getKey();
      Path log = dir.resolve(name + ".log");
      Child gateway = null;
      try {
        List<String> jvm = new ArrayList<>(Child.FORK_HEAP);
        // -Dbench.gatewayJvm="-XX:+UseZGC ..." on the harness: extra options for every gateway JVM
        String extra = System.getProperty("bench.gatewayJvm", "").trim();
        if (!extra.isEmpty()) {
          jvm.addAll(List.of(extra.split("\\s+")));
        }
        Class<?> floor = floorMain(name);
        if (floor != null) { // a floor: no gateway, no Keyway checks
          gateway = Child.start(floor == NioRelay.class
                  ? List.of("-Xms256m", "-Xmx256m", "-XX:+AlwaysPreTouch", "-XX:+UseSerialGC") : jvm,
              floor.getName(), List.of(direct.substring(direct.lastIndexOf(':') + 1)), log);
          String line = gateway.await(l -> l.startsWith("RELAY-PORT "), 60);
          gateways.put(name, gateway);
          gatewayUrls.put(name, "http://127.0.0.1:" + line.substring("RELAY-PORT ".length()).trim());
          continue;
        }
        List<String> args = new ArrayList<>(List.of(direct));
        args.addAll(settings.getValue());
        gateway = Child.start(jvm, GatewayApp.class.getName(), args, log);
        String line = gateway.await(l -> l.startsWith("GATEWAY-PORT "), 120);
        gateways.put(name, gateway);
        gatewayUrls.put(name, "http://127.0.0.1:" + line.substring("GATEWAY-PORT ".length()).trim() + "/ollama");
      } catch (RuntimeException e) {
        notes.add(name + " did not start: " + e.getMessage() + " (see " + log + ")");
        if (gateway != null) {
          gateway.close();
        }
      }
    }
    if (!withCaddy) {
      return notes;
    }
    if (!Files.isExecutable(Path.of(CADDY))) {
      notes.add("caddy not installed at " + CADDY + " (apt-get install caddy)");
    } else {
      try {
        int port = freePort();
        Path caddyDir = Files.createDirectories(dir.resolve("caddy"));
        Path caddyfile = caddyDir.resolve("Caddyfile");
        Files.writeString(caddyfile, caddyfile(caddyDir, port, Integer.parseInt(direct.substring(direct.lastIndexOf(':') + 1))));
        ProcessBuilder pb = new ProcessBuilder(CADDY, "run", "--config", caddyfile.toString(), "--adapter", "caddyfile")
            .directory(caddyDir.toFile()).redirectErrorStream(true).redirectOutput(caddyDir.resolve("caddy.out").toFile());
        pb.environment().put("HOME", caddyDir.toString());
        pb.environment().put("XDG_DATA_HOME", caddyDir.resolve("data").toString());
        pb.environment().put("XDG_CONFIG_HOME", caddyDir.resolve("config").toString());
        caddy = pb.start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!accepts(port)) {
          if (!caddy.isAlive() || System.nanoTime() > deadline) {
            throw new IllegalStateException("caddy did not listen: " + Files.readString(caddyDir.resolve("caddy.out")));
          }
          Thread.sleep(50);
        }
        caddyUrl = "http://127.0.0.1:" + port;
      } catch (IOException | InterruptedException | RuntimeException e) {
        notes.add("caddy did not start: " + e.getMessage());
        if (caddy != null) {
          caddy.destroy();
        }
        caddy = null;
      }
    }
    return notes;
  }

  /** The Caddyfile people copy (docs/proxies.md), with the admin endpoint off, on a loopback port. */
  static String caddyfile(Path dir, int port, int upstreamPort) {
    return "{\n\tadmin off\n\tskip_install_trust\n\tauto_https off\n\tstorage file_system {\n\t\troot "
        + dir.resolve("storage") + "\n\t}\n}\n\nhttp://127.0.0.1:" + port + " {\n\tbind 127.0.0.1\n\n"
        + "\thandle /health {\n\t\trespond 200\n\t}\n\n"
        + "\t@authorized header X-API-Key \"" + BenchClient.KEY + "\"\n"
        + "\thandle @authorized {\n\t\treverse_proxy 127.0.0.1:" + upstreamPort + " {\n\t\t\tbuffer_requests\n\t\t}\n\t}\n\n"
        + "\thandle {\n\t\trespond \"Unauthorized\" 401\n\t}\n}\n";
  }

  /** One measured load on one path. */
  static final class Load {
    String path;
    int streams;
    long tokens;
    int failed;
    String firstError = "";
    double p50Ms;
    double p99Ms;
    /** Only the light load generator fills these five; steady = tokens after each stream's first second. */
    double p999Ms = Double.NaN;
    double steadyP50Ms = Double.NaN;
    double steadyP99Ms = Double.NaN;
    double maxMs = Double.NaN;
    int retries;
    double proxyCpuSeconds = Double.NaN;
    double proxyCpuUsPerToken = Double.NaN;
    /** The proxy's JIT compiler threads' share of {@link #proxyCpuUsPerToken} (0 for Caddy). */
    double proxyJitUsPerToken = Double.NaN;
    double standInCpuSeconds = Double.NaN;
    double standInCpuUsPerToken = Double.NaN;
    /** The load generator's (this process's) CPU per token, JIT included. */
    double clientCpuUsPerToken = Double.NaN;
    /** The proxy's resident set at the end of the window and its peak since it started (VmRSS, VmHWM). */
    double proxyRssMiB = Double.NaN;
    double proxyRssPeakMiB = Double.NaN;
    /** The proxy's CPU µs per token by thread group ({@link ProcCpu#GROUPS}; JVM proxies only), "ended" for threads gone. */
    Map<String, Double> proxyThreadsUsPerToken = Map.of();
    /** One-second rounds run before the warm-up, and the JIT's share of the proxy's CPU in the last. */
    int primeRounds;
    double lastPrimeJitPercent = Double.NaN;
  }

  /**
   * Each thread group's CPU over the window, per token; "ended" is the process's total less the
   * groups' sum (threads that ended in the window, or started and ended in it). Empty for a
   * process that is not a JVM (its threads all fall in "other").
   */
  private static Map<String, Double> perToken(Map<String, Long> before, Map<String, Long> after, long total, long tokens) {
    if (tokens == 0 || after.isEmpty() || after.get("relay") + after.get("carriers") + after.get("gc") == 0) {
      return Map.of();
    }
    Map<String, Double> us = new LinkedHashMap<>();
    long sum = 0;
    for (String g : ProcCpu.GROUPS) {
      long d = Math.max(0, after.get(g) - before.getOrDefault(g, 0L));
      sum += d;
      us.put(g, Main.round(d / 1e3 / tokens, 2));
    }
    us.put("ended", Main.round(Math.max(0, total - sum) / 1e3 / tokens, 2));
    return us;
  }

  /**
   * Runs {@code streams} streams at {@code rate} tokens/s for {@code seconds} on each path, after a
   * warm-up of {@code warmSeconds} on that path; the paths in turn.
   */
  Map<String, Load> measure(int streams, int rate, int seconds, int warmSeconds) throws InterruptedException {
    Map<String, Load> loads = new LinkedHashMap<>();
    Map<String, String> urls = new LinkedHashMap<>();
    urls.put("direct", direct);
    if (caddyUrl != null) {
      urls.put("caddy", caddyUrl);
    }
    urls.putAll(gatewayUrls);
    if (caddyUrl != null && bracket) {
      urls.put(CADDY_AFTER, caddyUrl);
    }
    for (Map.Entry<String, String> path : urls.entrySet()) {
      long pid = path.getKey().equals("caddy") || path.getKey().equals(CADDY_AFTER) ? caddy.pid()
          : gateways.containsKey(path.getKey()) ? gateways.get(path.getKey()).pid() : -1;
      try (Session client = sessions != null ? sessions.apply(path.getKey(), path.getValue())
          : new KeywaySession(new KeywayClient(path.getValue(), true, clientExecutor))) {
        int primed = 0;
        double lastJitPercent = Double.NaN;
        for (int quiet = 0; primed < primeRounds
            || (settlePercent > 0 && pid > 0 && quiet < 2 && primed < settleMaxRounds); primed++) {
          Map<String, Long> g0 = pid > 0 ? ProcCpu.byGroup(pid) : Map.of();
          long c0 = pid > 0 ? ProcCpu.process(pid) : 0;
          client.run(streams, rate, 1, null);
          if (pid > 0) {
            long cpu = ProcCpu.process(pid) - c0;
            long jit = Math.max(0, ProcCpu.byGroup(pid).getOrDefault("jit", 0L) - g0.getOrDefault("jit", 0L));
            lastJitPercent = cpu <= 0 ? 0 : 100.0 * jit / cpu;
            quiet = lastJitPercent <= settlePercent ? quiet + 1 : 0;
            System.err.printf(Locale.ROOT, "[prime] %s round %d: proxy %.0f ms, of it JIT %.0f ms (%.1f%%)%n",
                path.getKey(), primed + 1, cpu / 1e6, jit / 1e6, lastJitPercent);
          }
        }
        client.run(streams, rate, warmSeconds, null);
        Load load = new Load();
        load.path = path.getKey();
        load.streams = streams;
        load.primeRounds = primed;
        load.lastPrimeJitPercent = lastJitPercent;
        if (window != null) {
          window.begin(path.getKey(), pid);
        }
        // For an outside profiler (perf, async-profiler) to find the measured window of a path.
        System.err.println("[window] " + path.getKey() + " pid " + pid + " begins " + java.time.Instant.now());
        long cpu0 = pid > 0 ? ProcCpu.process(pid) : 0;
        Map<String, Long> groups0 = pid > 0 ? ProcCpu.byGroup(pid) : Map.of();
        long standIn0 = standInPid > 0 ? ProcCpu.process(standInPid) : 0;
        long self0 = ProcCpu.self();
        client.run(streams, rate, seconds, load);
        long self = ProcCpu.self() - self0;
        load.clientCpuUsPerToken = load.tokens == 0 ? Double.NaN : self / 1e3 / load.tokens;
        if (standInPid > 0) {
          long cpu = ProcCpu.process(standInPid) - standIn0;
          load.standInCpuSeconds = cpu / 1e9;
          load.standInCpuUsPerToken = load.tokens == 0 ? Double.NaN : cpu / 1e3 / load.tokens;
        }
        if (pid > 0) {
          long cpu = ProcCpu.process(pid) - cpu0;
          load.proxyCpuSeconds = cpu / 1e9;
          load.proxyCpuUsPerToken = load.tokens == 0 ? Double.NaN : cpu / 1e3 / load.tokens;
          Map<String, Long> groups = ProcCpu.byGroup(pid);
          // Only compiler threads still alive: the JVM may stop one, so this can only under-count.
          long jit = Math.max(0, groups.getOrDefault("jit", 0L) - groups0.getOrDefault("jit", 0L));
          load.proxyJitUsPerToken = load.tokens == 0 ? Double.NaN : jit / 1e3 / load.tokens;
          load.proxyThreadsUsPerToken = perToken(groups0, groups, cpu, load.tokens);
          load.proxyRssMiB = statusKiB(pid, "VmRSS:") / 1024.0;
          load.proxyRssPeakMiB = statusKiB(pid, "VmHWM:") / 1024.0;
        }
        if (window != null) {
          window.end(path.getKey(), pid, load);
        }
        loads.put(path.getKey(), load);
      }
    }
    return loads;
  }

  /** The Keyway client (async) as the load generator. */
  private static final class KeywaySession implements Session {
    private final KeywayClient client;

    KeywaySession(KeywayClient client) {
      this.client = client;
    }

    @Override
    public void run(int streams, int rate, int seconds, Load load) throws InterruptedException {
      ProxyHop.run(client, streams, rate, seconds, load);
    }

    @Override
    public void close() {
      client.close();
    }
  }

  private static void run(KeywayClient client, int streams, int rate, int seconds, Load load) throws InterruptedException {
    int tokens = rate * seconds;
    long[] latencies = new long[streams * tokens];
    AtomicInteger next = new AtomicInteger();
    AtomicLong delivered = new AtomicLong();
    AtomicInteger failed = new AtomicInteger();
    String[] firstError = {""};
    CountDownLatch finished = new CountDownLatch(streams);
    long spread = 1_000_000_000L / rate;
    long start = System.nanoTime();
    for (int i = 0; i < streams; i++) {
      long due = start + spread * i / streams;
      long wait;
      while ((wait = due - System.nanoTime()) > 0) {
        LockSupport.parkNanos(wait);
      }
      client.start("rate-" + tokens + "-" + rate, new BenchClient.Listener() {
        @Override
        public void onToken(String content) {
          long now = System.nanoTime();
          int at = next.getAndIncrement();
          if (at < latencies.length) {
            latencies[at] = now - Long.parseLong(content);
          }
          delivered.incrementAndGet();
        }

        @Override
        public void onDone() {
          finished.countDown();
        }

        @Override
        public void onError(Throwable error) {
          if (failed.getAndIncrement() == 0) {
            firstError[0] = String.valueOf(error);
          }
          finished.countDown();
        }
      });
    }
    if (!finished.await(5, TimeUnit.MINUTES)) {
      throw new IllegalStateException("streams did not finish");
    }
    if (load != null) {
      int n = Math.min(next.get(), latencies.length);
      long[] sorted = Arrays.copyOf(latencies, n);
      Arrays.sort(sorted);
      load.tokens = delivered.get();
      load.failed = failed.get();
      load.firstError = firstError[0];
      load.p50Ms = n == 0 ? Double.NaN : sorted[(int) (n * 0.50)] / 1e6;
      load.p99Ms = n == 0 ? Double.NaN : sorted[Math.min(n - 1, (int) (n * 0.99))] / 1e6;
    }
  }

  /** A field of /proc/PID/status in KiB, or NaN. */
  static double statusKiB(long pid, String field) {
    try {
      for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
        if (line.startsWith(field)) {
          return Double.parseDouble(line.substring(field.length()).trim().split("\\s+")[0]);
        }
      }
    } catch (IOException | RuntimeException e) {
      // gone or not Linux
    }
    return Double.NaN;
  }

  static int freePort() {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static boolean accepts(int port) {
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress("127.0.0.1", port), 200);
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  static String format(double v) {
    return String.format(Locale.ROOT, "%.2f", v);
  }

  @Override
  public void close() {
    gateways.values().forEach(Child::close);
    if (caddy != null) {
      caddy.destroy();
      try {
        if (!caddy.waitFor(10, TimeUnit.SECONDS)) {
          caddy.destroyForcibly();
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }
}
