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
import org.openjdk.jmh.annotations.Threads;

/**
 * Scenario 3: unary chat round trips ({@code "stream": false}) through one shared client, from 1
 * and from 16 threads. The stand-in counts the sockets it accepted (read by Main between runs).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class UnaryBench {
  @Param({"keyway"})
  public String client;

  private BenchClient bench;

  @Setup(Level.Trial)
  public void setUp() {
    bench = BenchClient.create(client, System.getProperty("bench.url"));
  }

  @TearDown(Level.Trial)
  public void tearDown() {
    bench.close();
  }

  @Benchmark
  @Threads(1)
  public String unary1() {
    return bench.chat("basic");
  }

  @Benchmark
  @Threads(16)
  public String unary16() {
    return bench.chat("basic");
  }
}
