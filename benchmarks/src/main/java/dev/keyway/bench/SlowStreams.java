package dev.keyway.bench;

import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.lang.management.ThreadMXBean;
import java.util.Locale;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executor;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * Scenario 4, in a JVM of its own per client: {@code streams} concurrent streams of
 * {@code rate × seconds} tokens at {@code rate} tokens/s each, their starts spread over one token
 * period. Prints one line {@code RESULT {json}}: process CPU (JIT threads excluded), CPU per token,
 * peak heap used, live heap after a GC half way (every stream open), peak and mid-run threads, and
 * whether every stream delivered every token.
 *
 * <p>Runners: {@code native} calls the library's own way to stream without blocking the caller
 * (Keyway's async handler, LangChain4j's handler, Spring AI's Flux; a platform thread per stream for
 * the blocking-only libraries); {@code virtual} runs the blocking stream on a virtual thread each
 * (JDK 21+, created by reflection since this module compiles for 17).
 */
public final class SlowStreams {
  private SlowStreams() {}

  public static void main(String[] args) throws Exception {
    String clientName = args[0];
    String runner = args[1];
    int streams = Integer.parseInt(args[2]);
    int rate = Integer.parseInt(args[3]);
    int seconds = Integer.parseInt(args[4]);
    String url = args[5];
    int tokens = rate * seconds;
    BenchClient client = BenchClient.create(clientName, url);
    Executor virtual = null;
    if (runner.equals("virtual")) {
      virtual = (Executor) Executors.class.getMethod("newVirtualThreadPerTaskExecutor").invoke(null);
    }

    // Warm-up: the decode path compiled, the library's pools and threads created.
    for (int i = 0; i < 5; i++) {
      client.stream("bench-20000", t -> { });
    }
    runStreams(client, virtual, 50, "rate-10-100", 100, null);

    MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
    ThreadMXBean threads = ManagementFactory.getThreadMXBean();
    memory.gc();
    long heapBefore = memory.getHeapMemoryUsage().getUsed();
    int threadsBefore = threads.getThreadCount();
    threads.resetPeakThreadCount();

    AtomicLong maxHeap = new AtomicLong();
    long[] mid = new long[3];
    Thread sampler = new Thread(() -> {
      long start = System.nanoTime();
      boolean midDone = false;
      while (!Thread.currentThread().isInterrupted()) {
        maxHeap.accumulateAndGet(memory.getHeapMemoryUsage().getUsed(), Math::max);
        if (!midDone && System.nanoTime() - start > TimeUnit.SECONDS.toNanos(seconds) / 2) {
          midDone = true;
          mid[1] = threads.getThreadCount();
          mid[2] = Progress.open.get();
          memory.gc();
          mid[0] = memory.getHeapMemoryUsage().getUsed();
        }
        LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(100));
      }
    }, "bench-sampler");
    sampler.setDaemon(true);

    long jit0 = ProcCpu.selfCompilerThreads();
    long cpu0 = ProcCpu.self();
    long wall0 = System.nanoTime();
    sampler.start();
    Progress progress = runStreams(client, virtual, streams, "rate-" + tokens + "-" + rate, rate, tokens);
    long wall = System.nanoTime() - wall0;
    long cpu = ProcCpu.self() - cpu0;
    long jit = ProcCpu.selfCompilerThreads() - jit0;
    sampler.interrupt();
    sampler.join();
    int peakThreads = threads.getPeakThreadCount();
    long delivered = progress.tokens.get();
    double cpuNet = cpu - jit;
    System.out.printf(Locale.ROOT,
        "RESULT {\"client\":\"%s\",\"runner\":\"%s\",\"streams\":%d,\"tokensPerStream\":%d,\"tokensPerSecond\":%d,"
            + "\"completed\":%d,\"failed\":%d,\"tokensDelivered\":%d,\"wallSeconds\":%.2f,\"cpuSeconds\":%.3f,"
            + "\"jitSeconds\":%.3f,\"cpuCores\":%.3f,\"cpuNsPerToken\":%.0f,\"heapBeforeMiB\":%.1f,"
            + "\"heapPeakMiB\":%.1f,\"heapLiveMidMiB\":%.1f,\"threadsBefore\":%d,\"threadsMid\":%d,"
            + "\"threadsPeak\":%d,\"openMid\":%d,\"startLoopSeconds\":%.2f,\"firstError\":\"%s\"}%n",
        clientName, runner, streams, tokens, rate, progress.completed.get(), progress.failed.get(), delivered,
        wall / 1e9, cpuNet / 1e9, jit / 1e9, cpuNet / wall, delivered == 0 ? 0 : cpuNet / delivered,
        heapBefore / 1048576.0, maxHeap.get() / 1048576.0, mid[0] / 1048576.0, threadsBefore, mid[1], peakThreads,
        mid[2], progress.startedNanos / 1e9, progress.firstError == null ? "" : progress.firstError.toString().replace('"', '\'').replace('\\', '/'));
    System.out.flush();
    client.close();
    System.exit(0);
  }

  /** What the streams of one run delivered. */
  static final class Progress {
    static final AtomicInteger open = new AtomicInteger();
    volatile long startedNanos;
    final AtomicLong lastDoneNanos = new AtomicLong();
    final AtomicLong tokens = new AtomicLong();
    final AtomicInteger completed = new AtomicInteger();
    final AtomicInteger failed = new AtomicInteger();
    volatile Throwable firstError;
  }

  /** Runs {@code n} streams, starts spread over one period of {@code rate}, and waits for all of them. */
  static Progress runStreams(BenchClient client, Executor virtual, int n, String model, int rate, Integer expect)
      throws InterruptedException {
    Progress progress = new Progress();
    CountDownLatch finished = new CountDownLatch(n);
    long spread = 1_000_000_000L / rate;
    long start = System.nanoTime();
    for (int i = 0; i < n; i++) {
      long due = start + spread * i / n;
      long wait;
      while ((wait = due - System.nanoTime()) > 0) {
        LockSupport.parkNanos(wait);
      }
      int[] count = new int[1];
      BenchClient.Listener listener = new BenchClient.Listener() {
        @Override
        public void onToken(String content) {
          count[0]++;
        }

        @Override
        public void onDone() {
          progress.tokens.addAndGet(count[0]);
          Progress.open.decrementAndGet();
          if (expect == null || count[0] == expect) {
            progress.completed.incrementAndGet();
          } else {
            fail(new IllegalStateException(count[0] + " tokens, expected " + expect));
          }
          finished.countDown();
        }

        @Override
        public void onError(Throwable error) {
          progress.tokens.addAndGet(count[0]);
          Progress.open.decrementAndGet();
          fail(error);
          finished.countDown();
        }

        private void fail(Throwable error) {
          progress.failed.incrementAndGet();
          if (progress.firstError == null) {
            progress.firstError = error;
          }
        }
      };
      Progress.open.incrementAndGet();
      if (virtual != null) {
        virtual.execute(() -> {
          try {
            client.stream(model, listener);
          } catch (Throwable e) {
            listener.onError(e);
          }
        });
      } else {
        client.start(model, listener);
      }
    }
    progress.startedNanos = System.nanoTime() - start;
    if (!finished.await(10, TimeUnit.MINUTES)) {
      throw new IllegalStateException("streams did not finish in 10 minutes");
    }
    return progress;
  }
}
