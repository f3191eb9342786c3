package dev.keyway.bench;

import java.util.List;
import org.openjdk.jmh.infra.BenchmarkParams;
import org.openjdk.jmh.infra.IterationParams;
import org.openjdk.jmh.profile.InternalProfiler;
import org.openjdk.jmh.results.AggregationPolicy;
import org.openjdk.jmh.results.IterationResult;
import org.openjdk.jmh.results.Result;
import org.openjdk.jmh.results.ScalarResult;

/**
 * The fork's process CPU per operation, from /proc/self/stat, less the JIT compiler threads (as in
 * PERF-ANCHORS.md). The stand-in runs in a process of its own, so everything left is the client:
 * its threads, its GC, and JMH's own thin harness.
 */
public final class CpuProfiler implements InternalProfiler {
  private long cpu0;
  private long jit0;
  private long wall0;

  @Override
  public String getDescription() {
    return "process CPU per op (/proc/self/stat), JIT threads excluded";
  }

  @Override
  public void beforeIteration(BenchmarkParams benchmarkParams, IterationParams iterationParams) {
    wall0 = System.nanoTime();
    jit0 = ProcCpu.selfCompilerThreads();
    cpu0 = ProcCpu.self();
  }

  @Override
  public List<? extends Result<?>> afterIteration(BenchmarkParams benchmarkParams, IterationParams iterationParams,
      IterationResult result) {
    long cpu = ProcCpu.self() - cpu0;
    long jit = ProcCpu.selfCompilerThreads() - jit0;
    long wall = System.nanoTime() - wall0;
    long ops = Math.max(1, result.getMetadata().getAllOps());
    return List.of(
        new ScalarResult("cpu.ns/op", (double) (cpu - jit) / ops, "ns/op", AggregationPolicy.AVG),
        new ScalarResult("cpu.jit.ns/op", (double) jit / ops, "ns/op", AggregationPolicy.AVG),
        new ScalarResult("cpu.util", (double) cpu / wall, "cores", AggregationPolicy.AVG));
  }
}
