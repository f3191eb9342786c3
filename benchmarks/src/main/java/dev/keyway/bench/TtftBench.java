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
 * Scenario 2: one operation is one streamed chat of the recorded six-line answer, sent at once; the
 * time from the call to the first content in user code is recorded inside the operation (see
 * {@link TtftProfiler}); the JMH score is the whole call.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class TtftBench {
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
  public void firstToken(Blackhole bh) {
    long[] first = new long[1];
    long start = System.nanoTime();
    bench.stream("basic", content -> {
      if (first[0] == 0) {
        first[0] = System.nanoTime();
      }
      bh.consume(content);
    });
    TtftProfiler.record(first[0] - start);
  }
}
