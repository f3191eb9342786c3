package dev.keyway.ollama.internal;

import dev.keyway.ollama.PassThroughResponse;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.lang.System.Logger.Level;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.util.Iterator;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;

/**
 * A daemon thread with a {@link Selector} that reads hijacked relayed bodies (see
 * {@link ChannelSocket}) and hands their bytes to each relay's {@link PassThroughResponse.BodySink}:
 * thousands of open streams cost no thread each, and a token costs one {@code read} here. There is
 * one loop per processor, and at least two, for the whole JVM; each starts with its first
 * relayed body and then waits in {@code select} for the next (no CPU while idle). Its buffers are
 * its own: a relay's sink sees bytes that are valid during the call.
 */
final class RelayLoop {
  private static final System.Logger LOG = System.getLogger(RelayLoop.class.getName());
  private static final int BUFFER_BYTES = 16 * 1024;
  private static final Object LOCK = new Object();
  /**
   * One loop per processor, and at least {@value #MIN_LOOPS}; started on first use, each relay on
   * the next in turn. Per processor, so that the relay uses every core and each loop carries many
   * streams: a loop wakes once for all the tokens that arrived while it was busy, where eight loops
   * on two cores woke about once every two tokens. At least two, so that one loop the kernel does
   * not run for a while holds back half the streams, not all. On two cores at 2,000 streams, two
   * loops used 0.73–0.92× Caddy's CPU per token where eight used 0.97–1.17×, with the same tail
   * (+1.5 to +2.9 ms added p99). On a machine whose kernel takes a core for milliseconds at a
   * time (the DAMON sampler of docs/benchmarks.md, stop 22), eight loops had the shorter tail
   * (+4.7 to +10.5 ms against +9.7 to +22.3), and {@value #LOOPS_PROPERTY} sets that.
   */
  static final int MIN_LOOPS = 2;
  /**
   * The system property that sets the number of loops instead ({@value #MAX_LOOPS} at most):
   * fewer loops wake less often for the same tokens, so they use less CPU, and a loop the kernel
   * does not run holds back more streams. More loops than processors pay for a shorter tail only
   * where the kernel stops a core for milliseconds (docs/gateway.md, "How many relay threads").
   */
  static final String LOOPS_PROPERTY = "keyway.relay.loops";
  static final int MAX_LOOPS = 1024;
  private static RelayLoop @Nullable [] loops; // guarded by LOCK, made on first use
  private static int next; // guarded by LOCK

  private final Selector selector;
  private final Thread thread;
  private final Queue<Runnable> tasks = new ConcurrentLinkedQueue<>();
  /** Relays whose body ended cleanly, their keys cancelled: handed back after the next select. */
  private final java.util.ArrayDeque<Relay> ending = new java.util.ArrayDeque<>();
  /** The loop thread's buffers: raw bytes from a channel, and decoded bytes for a sink. */
  private final ByteBuffer in = ByteBuffer.allocateDirect(BUFFER_BYTES);
  private final byte[] out = new byte[BUFFER_BYTES];

  private RelayLoop(int index) {
    try {
      selector = Selector.open();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot open a selector for relayed streams", e);
    }
    thread = new Thread(this::run, "keyway-ollama-relay-" + index);
    thread.setDaemon(true);
  }

  /**
   * How many loops there are: relays go to them in turn.
   *
   * @throws IllegalArgumentException if {@value #LOOPS_PROPERTY} is set to something else than a
   *     whole number from 1 to {@value #MAX_LOOPS}
   */
  static int count() {
    synchronized (LOCK) {
      return loops().length;
    }
  }

  private static RelayLoop[] loops() {
    RelayLoop[] all = loops;
    if (all == null) {
      all = new RelayLoop[loopCount(System.getProperty(LOOPS_PROPERTY), Runtime.getRuntime().availableProcessors())];
      loops = all;
    }
    return all;
  }

  /**
   * The number of loops for a {@value #LOOPS_PROPERTY} value ({@code null} when not set) on a
   * machine with {@code processors} processors.
   *
   * @throws IllegalArgumentException if {@code configured} is not a whole number from 1 to
   *     {@value #MAX_LOOPS}
   */
  static int loopCount(@Nullable String configured, int processors) {
    if (configured == null) {
      return Math.max(MIN_LOOPS, processors);
    }
    int n;
    try {
      n = Integer.parseInt(configured.trim());
    } catch (NumberFormatException e) {
      n = 0;
    }
    if (n < 1 || n > MAX_LOOPS) {
      throw new IllegalArgumentException("system property " + LOOPS_PROPERTY + " must be a whole number from 1 to "
          + MAX_LOOPS + " (relay threads for streamed answers), was '" + configured + "'");
    }
    return n;
  }

  /**
   * The loop for the next relay.
   *
   * @throws IllegalArgumentException if {@value #LOOPS_PROPERTY} is set and not valid
   */
  static RelayLoop get() {
    synchronized (LOCK) {
      RelayLoop[] all = loops();
      int i = next;
      next = (i + 1) % all.length;
      RelayLoop loop = all[i];
      if (loop == null) {
        loop = new RelayLoop(i);
        loop.thread.start();
        all[i] = loop;
      }
      return loop;
    }
  }

  /** Runs {@code task} on the loop thread, soon. */
  void execute(Runnable task) {
    tasks.add(task);
    selector.wakeup();
  }

  private void run() {
    while (true) {
      try {
        selector.select();
        // The select above deregistered the cancelled keys: their channels may block again.
        for (Relay relay; (relay = ending.poll()) != null; ) {
          guarded(relay::handBack);
        }
        for (Runnable task; (task = tasks.poll()) != null; ) {
          guarded(task);
        }
        Iterator<SelectionKey> keys = selector.selectedKeys().iterator();
        while (keys.hasNext()) {
          SelectionKey key = keys.next();
          keys.remove();
          if (key.isValid() && key.attachment() instanceof Relay relay) {
            guarded(relay::readable);
          }
        }
      } catch (RuntimeException | Error e) {
        LOG.log(Level.WARNING, "relayed stream loop: unexpected " + e.getClass().getName(), e);
      } catch (IOException e) {
        LOG.log(Level.WARNING, "relayed stream loop: selector failed", e);
      }
    }
  }

  /**
   * Runs one relay's step. A relay's fault (its sink threw) ends that relay only; the loop goes on
   * for the others, with the tasks queued after it: their wakeups may have been spent on the
   * select that ran this one, so a task left in the queue would wait for an unrelated event.
   */
  private static void guarded(Runnable step) {
    try {
      step.run();
    } catch (RuntimeException | Error e) {
      LOG.log(Level.WARNING, "relayed stream loop: unexpected " + e.getClass().getName(), e);
    }
  }

  /**
   * One hijacked body: its channel, the bytes read past its headers, its decoder and the filters
   * a blocking read would go through, and the sink. Loop-confined except {@link #stop()},
   * {@link #resume()} and the stall watch's calls.
   */
  final class Relay implements StallWatch.Watched {
    private final ChannelSocket socket;
    private final SocketChannel channel;
    private final byte[] first;
    private final ChunkedBody body;
    private final InputStream filtered;
    private final PassThroughResponse.BodySink sink;
    private final Runnable release;
    private final long timeoutNanos;
    /** No sink call from now on; set by {@link #stop()} or when the body ended or failed. */
    private volatile boolean stopped;
    /** The caller stopped the relay ({@link #stop()}): not even a clean end is told. */
    private volatile boolean silenced;
    /** {@link System#nanoTime()} of the last progress, never 0 while watched. */
    private volatile long progress;
    private boolean paused;
    private @Nullable SelectionKey key;

    /**
     * @param filtered what the sink is handed: {@code body} through the answer's filters
     * @param release releases the connection once the relay ended, on the loop thread
     * @param timeoutNanos longest wait for the next bytes, or for a paused sink; 0 for none
     */
    Relay(ChannelSocket socket, byte[] first, ChunkedBody body, InputStream filtered,
        PassThroughResponse.BodySink sink, Runnable release, long timeoutNanos) {
      this.socket = socket;
      this.channel = socket.getChannel();
      this.first = first;
      this.body = body;
      this.filtered = filtered;
      this.sink = sink;
      this.release = release;
      this.timeoutNanos = timeoutNanos;
    }

    /** Starts reading on the loop. */
    void start() {
      progress = System.nanoTime() | 1;
      if (timeoutNanos > 0) {
        StallWatch.INSTANCE.add(this);
      }
      execute(this::register);
    }

    private void register() {
      if (stopped) {
        end();
        return;
      }
      try {
        channel.configureBlocking(false);
        key = channel.register(selector, SelectionKey.OP_READ, this);
      } catch (IOException | RuntimeException e) {
        body.fail(e instanceof IOException io ? io : new IOException(e));
      }
      body.decode(first, 0, first.length);
      pump();
    }

    void readable() {
      if (stopped) {
        return;
      }
      in.clear();
      try {
        int n = channel.read(in);
        if (n < 0) {
          body.upstreamEnded();
        } else {
          in.flip();
          body.decode(in);
        }
      } catch (IOException e) {
        body.fail(e);
      }
      progress = System.nanoTime() | 1;
      pump();
    }

    /** Hands the sink what can be read now, until it asks to pause. */
    private void pump() {
      while (!stopped && !paused) {
        if (nothingToRead()) {
          return; // the common case after a token: wait for the next without a Drained round trip
        }
        int n;
        try {
          n = filtered.read(out, 0, out.length);
        } catch (ChunkedBody.Drained drained) {
          return; // a filter held back a tail that needs the next bytes (a secret's possible start)
        } catch (IOException e) {
          end();
          sink.onFailure(e);
          return;
        }
        if (n < 0) {
          if (body.endedCleanly() && key != null) {
            // Keep the connection: once the next select has deregistered the channel, it goes
            // back to OkHttp's pool, then the sink hears the end.
            stopped = true;
            StallWatch.INSTANCE.remove(this);
            key.cancel();
            ending.add(this);
            selector.wakeup();
            return;
          }
          end();
          sink.onEnd();
          return;
        }
        if (n > 0) {
          boolean more;
          try {
            more = sink.onBytes(out, 0, n);
          } catch (RuntimeException | Error e) {
            end(); // the sink is broken: no more calls to it
            throw e;
          }
          if (!more && !stopped) {
            paused = true;
            SelectionKey k = key;
            if (k != null && k.isValid()) {
              k.interestOps(0);
            }
          }
        }
      }
    }

    /** Whether a read could only throw {@link ChunkedBody.Drained}. */
    private boolean nothingToRead() {
      try {
        return !body.readable() && filtered.available() == 0;
      } catch (IOException e) {
        return false; // let the read tell
      }
    }

    /** Goes on after the sink asked to pause; any thread. */
    void resume() {
      execute(() -> {
        if (stopped || !paused) {
          return;
        }
        paused = false;
        progress = System.nanoTime() | 1;
        SelectionKey k = key;
        if (k != null && k.isValid()) {
          k.interestOps(SelectionKey.OP_READ);
        }
        pump();
      });
    }

    /** No further sink call; the connection is released on the loop. Any thread. */
    void stop() {
      silenced = true;
      if (!stopped) {
        stopped = true;
        StallWatch.INSTANCE.remove(this);
        execute(this::end);
      }
    }

    /** After a clean end: the connection back to OkHttp (or closed, if that fails), then the sink told. */
    void handBack() {
      try {
        // Only once a select has deregistered the channel: until then its descriptor is still in
        // this loop's epoll set, and the next call on the connection must not share it.
        if (!channel.isRegistered()) {
          channel.configureBlocking(true);
          socket.restore();
        }
      } catch (IOException | RuntimeException e) {
        // Closed: OkHttp sees the body cut short and drops the connection, as when still registered.
      }
      release.run();
      if (!silenced) {
        sink.onEnd();
      }
    }

    private void end() {
      stopped = true;
      StallWatch.INSTANCE.remove(this);
      SelectionKey k = key;
      if (k != null) {
        k.cancel();
      }
      release.run();
    }

    @Override
    public long readingSince() {
      return progress;
    }

    @Override
    public long timeoutNanos() {
      return timeoutNanos;
    }

    @Override
    public void stalled() {
      execute(() -> {
        if (stopped) {
          return;
        }
        SocketTimeoutException timeout = new SocketTimeoutException((paused
            ? "the relay's sink took no byte for " : "no byte from upstream for ")
            + TimeUnit.NANOSECONDS.toMillis(timeoutNanos) + " ms (the client's read timeout)");
        body.fail(timeout);
        if (!paused) {
          pump();
          return;
        }
        // The sink is not taking bytes: what is left is read through the filters to the failure
        // (so the call is observed as failed) and not handed out.
        while (true) {
          try {
            if (filtered.read(out, 0, out.length) < 0) {
              break;
            }
          } catch (ChunkedBody.Drained | IOException e) {
            break;
          }
        }
        end();
        sink.onFailure(timeout);
      });
    }
  }

  /** A relay of {@code socket}'s body; see {@link Relay#Relay}. */
  Relay relay(ChannelSocket socket, byte[] first, ChunkedBody body, InputStream filtered,
      PassThroughResponse.BodySink sink, Runnable release, long timeoutNanos) {
    return new Relay(socket, first, body, filtered, sink, release, timeoutNanos);
  }
}
