package dev.keyway.bench;

import java.util.Arrays;
import java.util.List;
import org.openjdk.jmh.infra.BenchmarkParams;
import org.openjdk.jmh.infra.IterationParams;
import org.openjdk.jmh.profile.InternalProfiler;
import org.openjdk.jmh.results.AggregationPolicy;
import org.openjdk.jmh.results.IterationResult;
import org.openjdk.jmh.results.Result;
import org.openjdk.jmh.results.ScalarResult;

/**
 * Time to first token as {@link TtftBench} records it inside each call (call to first content in
 * user code), reported per iteration as p50, p99 and mean in microseconds.
 */
public final class TtftProfiler implements InternalProfiler {
  static final int CAPACITY = 1 << 20;
  static final long[] SAMPLES = new long[CAPACITY];
  static volatile int count;

  /** Records one sample (from the one benchmark thread). */
  static void record(long nanos) {
    int n = count;
    if (n < CAPACITY) {
      SAMPLES[n] = nanos;
      count = n + 1;
    }
  }

  @Override
  public String getDescription() {
    return "time to first token percentiles";
  }

  @Override
  public void beforeIteration(BenchmarkParams benchmarkParams, IterationParams iterationParams) {
    count = 0;
  }

  @Override
  public List<? extends Result<?>> afterIteration(BenchmarkParams benchmarkParams, IterationParams iterationParams,
      IterationResult result) {
    int n = count;
    if (n == 0) {
      return List.of();
    }
    long[] s = Arrays.copyOf(SAMPLES, n);
    Arrays.sort(s);
    double mean = Arrays.stream(s).average().orElse(0);
    return List.of(
        new ScalarResult("ttft.p50.us", s[(int) Math.min(n - 1, Math.floor(n * 0.50))] / 1e3, "us", AggregationPolicy.AVG),
        new ScalarResult("ttft.p99.us", s[(int) Math.min(n - 1, Math.floor(n * 0.99))] / 1e3, "us", AggregationPolicy.AVG),
        new ScalarResult("ttft.mean.us", mean / 1e3, "us", AggregationPolicy.AVG),
        new ScalarResult("ttft.samples", n, "#", AggregationPolicy.SUM));
  }
}
