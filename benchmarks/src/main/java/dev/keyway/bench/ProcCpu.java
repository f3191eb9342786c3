package dev.keyway.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * CPU time from Linux's /proc, in nanoseconds: a whole process (utime + stime, which counts its
 * threads that already ended), and its live threads' shares by what they are. The kernel counts in
 * ticks of 10 ms (USER_HZ 100), so measure over seconds, not milliseconds.
 */
final class ProcCpu {
  static final long NANOS_PER_TICK = 10_000_000L;
  /** The thread groups {@link #byGroup} sums, in the order reports list them. */
  static final List<String> GROUPS = List.of("relay", "carriers", "tomcat", "okhttp", "gc", "jit", "other");

  private ProcCpu() {}

  /** CPU time of process {@code pid} so far, or -1 if it cannot be read. */
  static long process(long pid) {
    return ticks(Path.of("/proc", Long.toString(pid), "stat")) * NANOS_PER_TICK;
  }

  static long self() {
    return process(ProcessHandle.current().pid());
  }

  /**
   * CPU time of this JVM's C1/C2 compiler threads so far (only those still alive: the JVM may stop
   * one it no longer needs, so a difference over a window can only under-count them).
   */
  static long selfCompilerThreads() {
    return byGroup(ProcessHandle.current().pid()).getOrDefault("jit", 0L);
  }

  /**
   * CPU time of JVM {@code pid}'s live threads so far, summed by what they are, from each thread's
   * name as the kernel keeps it (its first 15 characters): Keyway's relay loops, the virtual
   * threads' carriers (where request handling runs with virtual threads), Tomcat's own platform
   * threads, OkHttp's task runner, the collector's threads, the JIT's, and the rest. Threads that
   * ended are in none of them: over a window, the process's total less the groups' sum is theirs.
   */
  static Map<String, Long> byGroup(long pid) {
    Map<String, Long> sums = new LinkedHashMap<>();
    GROUPS.forEach(g -> sums.put(g, 0L));
    Path tasks = Path.of("/proc", Long.toString(pid), "task");
    try (DirectoryStream<Path> dir = Files.newDirectoryStream(tasks)) {
      for (Path task : dir) {
        String comm;
        try {
          comm = Files.readString(task.resolve("comm"), StandardCharsets.US_ASCII).trim();
        } catch (IOException e) {
          continue; // ended meanwhile
        }
        long t = ticks(task.resolve("stat"));
        if (t > 0) {
          sums.merge(group(comm), t * NANOS_PER_TICK, Long::sum);
        }
      }
    } catch (IOException e) {
      return Map.of();
    }
    return sums;
  }

  static String group(String comm) {
    if (comm.startsWith("keyway-ollama-r")) {
      return "relay";
    } else if (comm.startsWith("ForkJoinPool")) {
      return "carriers";
    } else if (comm.startsWith("http-nio") || comm.startsWith("tomcat-")) {
      return "tomcat";
    } else if (comm.startsWith("OkHttp")) {
      return "okhttp";
    } else if (comm.startsWith("GC Thread") || comm.startsWith("G1 ")) {
      return "gc";
    } else if (comm.startsWith("C1 CompilerThre") || comm.startsWith("C2 CompilerThre")) {
      return "jit";
    }
    return "other";
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
