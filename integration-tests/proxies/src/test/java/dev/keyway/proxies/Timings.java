package dev.keyway.proxies;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicBoolean;

/** Per-token latencies of one stream, and how spread out the tokens were when written and seen. */
record Timings(List<Duration> sorted, Duration createdSpan, Duration seenSpan) {
  static final Path REPORT = Path.of("target", "proxy-timings.txt");
  private static final AtomicBoolean FIRST = new AtomicBoolean(true);

  static Timings of(List<Duration> latencies, Duration createdSpan, Duration seenSpan) {
    List<Duration> sorted = new ArrayList<>(latencies);
    sorted.sort(null);
    return new Timings(List.copyOf(sorted), createdSpan, seenSpan);
  }

  Duration p50() {
    return percentile(50);
  }

  Duration p99() {
    return percentile(99);
  }

  Duration max() {
    return sorted.get(sorted.size() - 1);
  }

  Duration percentile(int p) {
    int index = (int) Math.ceil(p / 100.0 * sorted.size()) - 1;
    return sorted.get(Math.max(0, index));
  }

  /** Prints one line and appends it to target/proxy-timings.txt (no credentials in it). */
  void record(String setup, int tokens, Duration delay) {
    String line = String.format(Locale.ROOT,
        "%-28s %d tokens %d ms apart: latency p50 %s, p99 %s, max %s; written over %d ms, seen over %d ms",
        setup, tokens, delay.toMillis(), ms(p50()), ms(p99()), ms(max()), createdSpan.toMillis(),
        seenSpan.toMillis());
    System.out.println("[timing] " + line);
    try {
      Files.createDirectories(REPORT.getParent());
      Files.writeString(REPORT, line + System.lineSeparator(), StandardCharsets.UTF_8,
          StandardOpenOption.CREATE, StandardOpenOption.WRITE,
          FIRST.getAndSet(false) ? StandardOpenOption.TRUNCATE_EXISTING : StandardOpenOption.APPEND);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static String ms(Duration d) {
    return String.format(Locale.ROOT, "%.1f ms", d.toNanos() / 1e6);
  }
}
