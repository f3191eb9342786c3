package dev.keyway.ollama.internal;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;

/**
 * The read timeout of open streams, enforced by one JVM-wide daemon thread that looks at every
 * stream a few times per timeout, instead of Okio arming and disarming a watchdog around every
 * socket read (a global lock and a sorted insert per read: with hundreds of streams, the largest
 * part of a stream's CPU). The thread exists only while streams are open.
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

  private final Set<Watched> streams = ConcurrentHashMap.newKeySet();
  private @Nullable Thread thread; // guarded by this

  void add(Watched stream) {
    streams.add(stream);
    synchronized (this) {
      if (thread == null) {
        thread = new Thread(this::run, "keyway-ollama-stall-watch");
        thread.setDaemon(true);
        thread.start();
      }
      notifyAll(); // a shorter timeout may need a shorter tick
    }
  }

  void remove(Watched stream) {
    if (streams.remove(stream) && streams.isEmpty()) {
      synchronized (this) {
        notifyAll(); // let the thread see it has nothing to watch and end now
      }
    }
  }

  private void run() {
    while (true) {
      long tick = MAX_TICK;
      for (Watched s : streams) {
        tick = Math.min(tick, Math.max(MIN_TICK, s.timeoutNanos() / 10));
      }
      synchronized (this) {
        if (streams.isEmpty()) {
          thread = null;
          return;
        }
        try {
          TimeUnit.NANOSECONDS.timedWait(this, tick);
        } catch (InterruptedException e) {
          thread = null;
          return;
        }
        if (streams.isEmpty()) {
          thread = null;
          return;
        }
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
