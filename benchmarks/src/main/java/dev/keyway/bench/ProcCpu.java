package dev.keyway.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * CPU time from Linux's /proc, in nanoseconds: a whole process (utime + stime, which counts its
 * threads that already ended), and the share of the JIT compiler threads. The kernel counts in
 * ticks of 10 ms (USER_HZ 100), so measure over seconds, not milliseconds.
 */
final class ProcCpu {
  static final long NANOS_PER_TICK = 10_000_000L;

  private ProcCpu() {}

  /** CPU time of process {@code pid} so far, or -1 if it cannot be read. */
  static long process(long pid) {
    return ticks(Path.of("/proc", Long.toString(pid), "stat")) * NANOS_PER_TICK;
  }

  static long self() {
    return process(ProcessHandle.current().pid());
  }

  /** CPU time of this JVM's C1/C2 compiler threads so far (only those still alive). */
  static long selfCompilerThreads() {
    return compilerThreads(ProcessHandle.current().pid());
  }

  /**
   * CPU time of JVM {@code pid}'s C1/C2 compiler threads so far (only those still alive: the JVM
   * may stop one it no longer needs, so a difference over a window can only under-count them).
   */
  static long compilerThreads(long pid) {
    long sum = 0;
    Path tasks = Path.of("/proc", Long.toString(pid), "task");
    try (DirectoryStream<Path> dir = Files.newDirectoryStream(tasks)) {
      for (Path task : dir) {
        String comm;
        try {
          comm = Files.readString(task.resolve("comm"), StandardCharsets.US_ASCII).trim();
        } catch (IOException e) {
          continue; // ended meanwhile
        }
        if (comm.startsWith("C1 CompilerThre") || comm.startsWith("C2 CompilerThre")) {
          sum += Math.max(0, ticks(task.resolve("stat")));
        }
      }
    } catch (IOException e) {
      return 0;
    }
    return sum * NANOS_PER_TICK;
  }

  private static long ticks(Path stat) {
    try {
      String s = Files.readString(stat, StandardCharsets.US_ASCII);
      // Fields after the command name, which is in parentheses and may contain spaces.
      String[] f = s.substring(s.lastIndexOf(')') + 2).split(" ");
      // f[0] is field 3 (state); utime is field 14, stime field 15.
      return Long.parseLong(f[11]) + Long.parseLong(f[12]);
    } catch (IOException | RuntimeException e) {
      return -1;
    }
  }
}
