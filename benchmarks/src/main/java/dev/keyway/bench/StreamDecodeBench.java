package dev.keyway.bench;

import java.util.concurrent.TimeUnit;
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
import org.openjdk.jmh.infra.Blackhole;

/**
 * Scenario 1: one operation is one stream of {@code chunks} chat chunks (plus the done line),
 * written by the stand-in as fast as the socket takes them, consumed to its end in user code.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
public class StreamDecodeBench {
  @Param({"keyway"})
  public String client;

  @Param({"100000"})
  public int chunks;

  private BenchClient bench;
  private String model;

  @Setup(Level.Trial)
  public void setUp() {
    bench = BenchClient.create(client, System.getProperty("bench.url"));
    model = "bench-" + chunks;
  }

  @TearDown(Level.Trial)
  public void tearDown() {
    bench.close();
  }

  @Benchmark
  public int decode(Blackhole bh) {
    int[] n = new int[1];
    bench.stream(model, content -> {
      bh.consume(content);
      n[0]++;
    });
    if (n[0] != chunks) {
      throw new IllegalStateException(client + " delivered " + n[0] + " of " + chunks + " chunks");
    }
    return n[0];
  }
}
