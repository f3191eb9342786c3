package dev.keyway.ollama.internal;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;

/**
 * The read timeout of open streams, enforced by one JVM-wide daemon thread that looks at every
 * stream a few times per timeout, instead of Okio arming and disarming a watchdog around every
 * socket read (a global lock and a sorted insert per read: with hundreds of streams, the largest
 * part of a stream's CPU). The thread starts with the first stream and ends a minute after the
 * last one.
 */
final class StallWatch {
  /** A stream being read. */
  interface Watched {
    /** {@link System#nanoTime()} when the current blocking read began, or 0 when not reading. */
    long readingSince();

    long timeoutNanos();

    /** The read has waited longer than the timeout: cancel it. Called at most once. */
    void stalled();
  }

  static final StallWatch INSTANCE = new StallWatch();
  private static final long MIN_TICK = TimeUnit.MILLISECONDS.toNanos(5);
  private static final long MAX_TICK = TimeUnit.SECONDS.toNanos(1);
  /** How long the thread outlives the last stream: starting one per call would cost more. */
  private static final long LINGER = TimeUnit.SECONDS.toNanos(60);

  private final Set<Watched> streams = ConcurrentHashMap.newKeySet();
  private @Nullable Thread thread; // guarded by this
  private long tick = MAX_TICK; // guarded by this

  void add(Watched stream) {
    streams.add(stream);
    long wanted = tickFor(stream);
    synchronized (this) {
      if (thread == null) {
        thread = new Thread(this::run, "keyway-ollama-stall-watch");
        thread.setDaemon(true);
        thread.start();
      } else if (wanted < tick) {
        notifyAll(); // wake now to wait with the shorter tick this stream needs
      }
    }
  }

  void remove(Watched stream) {
    streams.remove(stream);
  }

  /** Whether {@code stream} is watched now; for tests. */
  boolean watches(Watched stream) {
    return streams.contains(stream);
  }

  private static long tickFor(Watched stream) {
    return Math.max(MIN_TICK, Math.min(MAX_TICK, stream.timeoutNanos() / 10));
  }

  private void run() {
    long idleSince = 0;
    while (true) {
      long next = MAX_TICK;
      for (Watched s : streams) {
        next = Math.min(next, tickFor(s));
      }
      synchronized (this) {
        tick = next;
        try {
          TimeUnit.NANOSECONDS.timedWait(this, next);
        } catch (InterruptedException e) {
          thread = null;
          return;
        }
        if (streams.isEmpty()) {
          long now = System.nanoTime();
          if (idleSince == 0) {
            idleSince = now;
          } else if (now - idleSince > LINGER) {
            thread = null;
            return;
          }
          continue;
        }
        idleSince = 0;
      }
      long now = System.nanoTime();
      for (Watched s : streams) {
        long since = s.readingSince();
        if (since != 0 && now - since > s.timeoutNanos() && streams.remove(s)) {
          s.stalled();
        }
      }
    }
  }
}
