package dev.keyway.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.keyway.ollama.Credential;
import dev.keyway.ollama.OllamaClient;
import dev.keyway.ollama.OllamaServers;
import dev.keyway.ollama.model.ChatRequest;
import dev.keyway.ollama.model.ChatResponse;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import okhttp3.Interceptor;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Protocol;
import okhttp3.Response;
import okhttp3.ResponseBody;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.results.Result;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;

/**
 * What routing over several servers costs per call ({@code java -jar benchmarks.jar routing}),
 * through the public API only: a unary {@code chat} through {@code OllamaServers} over three
 * servers, and through one plain {@code OllamaClient}; every client built on the same
 * {@link OkHttpClient} whose first interceptor answers in-process (no socket), so the difference
 * per call is what {@code OllamaServers} adds: the pick under its lock, the in-flight count, the
 * circuit breaker's permission and its record of the outcome, the "loaded" update from the answer.
 */
@State(Scope.Benchmark)
@BenchmarkMode({Mode.AverageTime, Mode.SampleTime})
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class RoutingBench {
  private static final MediaType JSON = MediaType.get("application/json; charset=utf-8");
  private static final byte[] CHAT = Wire.unaryAnswer();
  private static final byte[] LIST = "{\"models\":[]}".getBytes(StandardCharsets.UTF_8);

  /** {@code single}: one OllamaClient; {@code servers3}: OllamaServers over three servers. */
  @Param({"single", "servers3"})
  public String client;

  private OllamaClient ollama;
  private ChatRequest request;

  /** Answers every request at once: the unary chat answer, or an empty model list for the polls. */
  static final class InProcessAnswer implements Interceptor {
    @Override
    public Response intercept(Chain chain) {
      String path = chain.request().url().encodedPath();
      byte[] body = path.endsWith("/api/chat") ? CHAT : LIST;
      return new Response.Builder().request(chain.request()).protocol(Protocol.HTTP_1_1).code(200).message("OK")
          .body(ResponseBody.create(body, JSON)).build();
    }
  }

  @Setup(Level.Trial)
  public void setUp() {
    OkHttpClient http = new OkHttpClient.Builder().addInterceptor(new InProcessAnswer()).build();
    request = KeywayClient.request("llama3.2");
    if (client.equals("single")) {
      ollama = OllamaClient.builder().baseUrl("http://127.0.0.1:9").apiKey(BenchClient.KEY).okHttpClient(http).build();
    } else {
      OllamaServers.Builder b = OllamaServers.builder();
      for (int i = 1; i <= 3; i++) {
        b.server(OllamaServers.Server.of("server-" + i, "http://127.0.0.1:" + (9 + i), Credential.apiKey(BenchClient.KEY))
            .configure(c -> c.okHttpClient(http)));
      }
      OllamaServers servers = b.build();
      servers.refresh();
      ollama = servers;
    }
  }

  @TearDown(Level.Trial)
  public void tearDown() {
    ollama.close();
  }

  @Benchmark
  public ChatResponse chat() {
    return ollama.chat(request);
  }

  /** Runs both clients under JMH and prints avg and p50/p99 per call and the difference. */
  static void run(String[] args) throws Exception {
    int forks = 2;
    int warmups = 5;
    int iterations = 5;
    int seconds = 2;
    for (int i = 0; i + 1 < args.length; i += 2) {
      switch (args[i]) {
        case "--forks":
          forks = Integer.parseInt(args[i + 1]);
          break;
        case "--iterations":
          iterations = Integer.parseInt(args[i + 1]);
          warmups = iterations;
          break;
        case "--seconds":
          seconds = Integer.parseInt(args[i + 1]);
          break;
        default:
          throw new IllegalArgumentException("unknown argument " + args[i]);
      }
    }
    long t0 = System.nanoTime();
    Main.progress("routing: %d fork(s), %d × %d s warm-up and measured per mode", forks, iterations, seconds);
    String loadStart = ManyStreams.loadAverage();
    var results = new Runner(new OptionsBuilder()
        .include("^" + RoutingBench.class.getName().replace(".", "\\.") + "\\.chat$")
        .forks(forks)
        .warmupIterations(warmups).warmupTime(TimeValue.seconds(seconds))
        .measurementIterations(iterations).measurementTime(TimeValue.seconds(seconds))
        .jvmArgs("-Xms1g", "-Xmx1g", "-XX:+AlwaysPreTouch")
        .shouldFailOnError(true)
        .build()).run();
    Map<String, Map<String, Object>> rows = new LinkedHashMap<>();
    for (RunResult r : results) {
      String name = r.getParams().getParam("client");
      Map<String, Object> row = rows.computeIfAbsent(name, k -> new LinkedHashMap<>());
      Result<?> primary = r.getPrimaryResult();
      if (r.getParams().getMode() == Mode.AverageTime) {
        row.put("avgNs", Main.round(primary.getScore(), 1));
        row.put("avgErrorNs", Main.round(primary.getScoreError(), 1));
      } else {
        row.put("p50Ns", Main.round(primary.getStatistics().getPercentile(50), 0));
        row.put("p90Ns", Main.round(primary.getStatistics().getPercentile(90), 0));
        row.put("p99Ns", Main.round(primary.getStatistics().getPercentile(99), 0));
      }
    }
    StringBuilder out = new StringBuilder();
    out.append(String.format(Locale.ROOT, "%nRouting cost per call (%s): unary chat answered in-process by an OkHttp "
        + "interceptor; single = one OllamaClient, servers3 = OllamaServers over three servers on the same OkHttpClient%n",
        Main.machineLine()));
    out.append("| client   |   avg ns |  ± error |   p50 ns |   p90 ns |   p99 ns |\n");
    out.append("|----------|---------:|---------:|---------:|---------:|---------:|\n");
    rows.forEach((name, row) -> out.append(String.format(Locale.ROOT, "| %-8s | %8s | %8s | %8s | %8s | %8s |%n", name,
        Main.fmt(row.get("avgNs"), "%,.0f"), Main.fmt(row.get("avgErrorNs"), "%,.0f"), Main.fmt(row.get("p50Ns"), "%,.0f"),
        Main.fmt(row.get("p90Ns"), "%,.0f"), Main.fmt(row.get("p99Ns"), "%,.0f"))));
    Map<String, Object> json = new LinkedHashMap<>();
    json.put("date", Instant.now().toString());
    json.put("machine", Main.machine());
    json.put("loadAverageStart", loadStart);
    json.put("loadAverageEnd", ManyStreams.loadAverage());
    json.put("clients", rows);
    List<String> lines = new ArrayList<>();
    Map<String, Object> single = rows.get("single");
    Map<String, Object> three = rows.get("servers3");
    if (single != null && three != null) {
      Double avg = diff(three.get("avgNs"), single.get("avgNs"));
      Double p50 = diff(three.get("p50Ns"), single.get("p50Ns"));
      json.put("routingCostAvgNs", avg);
      json.put("routingCostP50Ns", p50);
      // The median is the verdict: on a shared machine the average carries every preemption.
      lines.add(String.format(Locale.ROOT, "Routing cost per call (servers3 − single): p50 %s ns, avg %s ns; "
          + "target ≤ 5,000 ns at p50: %s", Main.fmt(p50, "%,.0f"), Main.fmt(avg, "%,.0f"),
          p50 != null && p50 <= 5000 ? "met" : "NOT met"));
    }
    lines.forEach(l -> out.append('\n').append(l).append('\n'));
    out.append(String.format(Locale.ROOT, "%nLoad average at start %s, at end %s%nTotal %.0f s. JSON summary:%n",
        loadStart, json.get("loadAverageEnd"), (System.nanoTime() - t0) / 1e9));
    out.append(new ObjectMapper().writeValueAsString(json)).append('\n');
    System.out.print(out);
    System.out.flush();
  }

  private static Double diff(Object a, Object b) {
    if (a instanceof Number && b instanceof Number) {
      return Main.round(((Number) a).doubleValue() - ((Number) b).doubleValue(), 1);
    }
    return null;
  }
}
