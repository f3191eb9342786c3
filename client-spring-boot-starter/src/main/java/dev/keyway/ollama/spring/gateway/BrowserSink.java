package dev.keyway.ollama.spring.gateway;

import dev.keyway.ollama.PassThroughResponse;
import jakarta.servlet.AsyncContext;
import jakarta.servlet.AsyncEvent;
import jakarta.servlet.AsyncListener;
import jakarta.servlet.ServletOutputStream;
import jakarta.servlet.WriteListener;
import java.io.IOException;
import java.util.Arrays;
import org.jspecify.annotations.Nullable;

/**
 * A relayed stream's way to the browser without a thread of its own: Keyway's relay thread hands
 * it the upstream bytes ({@link PassThroughResponse#relayTo}) and it writes them to the Servlet
 * API's non-blocking output. While the output cannot take more, the bytes are kept and the relay
 * pauses; the container's {@link #onWritePossible()} writes them and lets the relay go on. Upstream
 * reading is thus held back by a slow browser exactly as the blocking relay's is, and every byte
 * is written in order, once.
 *
 * <p>The upstream answer is closed and {@code finish} runs exactly once, when the stream ended and
 * was written, when it failed (the browser then gets the same error line the blocking relay
 * writes), or when the browser went away (the upstream call is cancelled).
 *
 * <p>Its methods run on the relay thread and on container threads, one at a time (this object's
 * lock); none of them blocks.
 */
final class BrowserSink implements PassThroughResponse.BodySink, WriteListener, AsyncListener {
  private static final byte[] NONE = new byte[0];

  private final PassThroughResponse upstream;
  private final @Nullable UsageMeter meter;
  private final Runnable finish;
  private @Nullable AsyncContext async;
  private @Nullable ServletOutputStream out;
  /** Bytes taken from the relay and not yet written: [0, pendingLength). */
  private byte[] pending = NONE;
  private int pendingLength;
  /** The relay was asked to pause and waits for {@link PassThroughResponse#resume()}. */
  private boolean paused;
  /** The upstream body ended or failed: complete once everything is written. */
  private boolean ended;
  private boolean lineOpen;
  private boolean finished;

  BrowserSink(PassThroughResponse upstream, @Nullable UsageMeter meter, Runnable finish) {
    this.upstream = upstream;
    this.meter = meter;
    this.finish = finish;
  }

  /**
   * Hands the sink the request's async context and output, after the relay started: bytes that
   * came before are kept until the container says the output is ready.
   */
  synchronized void attach(AsyncContext context, ServletOutputStream output) {
    context.setTimeout(0); // bounded by the relay: the read timeout covers a stall on either side
    context.addListener(this);
    this.async = context;
    this.out = output;
    output.setWriteListener(this);
  }

  @Override
  public synchronized boolean onBytes(byte[] bytes, int offset, int length) {
    if (finished) {
      return false;
    }
    if (meter != null) {
      meter.feed(bytes, offset, length);
    }
    lineOpen = bytes[offset + length - 1] != '\n';
    ServletOutputStream o = out;
    if (o == null || pendingLength > 0 || !o.isReady()) {
      keep(bytes, offset, length);
      paused = true;
      return false;
    }
    try {
      if (write(o, bytes, offset, length)) {
        return true;
      }
    } catch (IOException | IllegalStateException e) {
      browserGone();
      return false;
    }
    paused = true;
    return false;
  }

  /**
   * Writes and flushes, as far as the output takes it now: true when it is ready for more. In
   * non-blocking mode a write that could not go out at once must not be followed by a flush (nor
   * any write) until the container calls {@link #onWritePossible()}; the bytes are the container's
   * then and go out before that call.
   */
  private static boolean write(ServletOutputStream o, byte[] bytes, int offset, int length) throws IOException {
    o.write(bytes, offset, length);
    if (!o.isReady()) {
      return false;
    }
    o.flush();
    return o.isReady();
  }

  @Override
  public synchronized void onEnd() {
    ended = true;
    drain();
  }

  @Override
  public synchronized void onFailure(IOException failure) {
    byte[] line = OllamaGatewayServlet.failureLine(lineOpen);
    keep(line, 0, line.length);
    ended = true;
    drain();
  }

  @Override
  public synchronized void onWritePossible() {
    drain();
  }

  @Override
  public void onError(Throwable t) {
    browserGone();
  }

  @Override
  public void onComplete(AsyncEvent event) {
    browserGone(); // a no-op once finished; otherwise the container ended the request itself
  }

  @Override
  public void onTimeout(AsyncEvent event) {
    browserGone();
  }

  @Override
  public void onError(AsyncEvent event) {
    browserGone();
  }

  @Override
  public void onStartAsync(AsyncEvent event) {
    // not restarted
  }

  /** Writes what is kept while the output takes it; then completes, or lets the relay go on. */
  private void drain() {
    ServletOutputStream o = out;
    if (finished || o == null || !o.isReady()) {
      return;
    }
    try {
      if (pendingLength > 0) {
        int n = pendingLength;
        pendingLength = 0;
        if (!write(o, pending, 0, n)) {
          return; // the container calls onWritePossible again
        }
      }
    } catch (IOException | IllegalStateException e) {
      browserGone();
      return;
    }
    if (ended) {
      complete();
    } else if (paused) {
      paused = false;
      upstream.resume();
    }
  }

  private void keep(byte[] bytes, int offset, int length) {
    if (pendingLength + length > pending.length) {
      pending = Arrays.copyOf(pending, Math.max(pendingLength + length, Math.max(1024, pending.length * 2)));
    }
    System.arraycopy(bytes, offset, pending, pendingLength, length);
    pendingLength += length;
  }

  /** The stream was written to its end: the upstream answer is closed, the request completes. */
  private void complete() {
    finished = true;
    upstream.close();
    finishAndComplete();
  }

  /** The browser went away, or the request ended before the stream: the upstream call stops. */
  synchronized void browserGone() {
    if (finished) {
      return;
    }
    finished = true;
    upstream.cancel();
    upstream.close();
    finishAndComplete();
  }

  /**
   * Runs {@code finish} and completes the request. With usage limits, {@code finish} settles the
   * caller's tokens and permits, which may wait on Redis: that runs on a container thread, never on
   * the relay thread all streams share.
   */
  private void finishAndComplete() {
    AsyncContext context = async;
    if (context == null) {
      finish.run();
      return;
    }
    if (meter != null) {
      try {
        context.start(() -> {
          try {
            finish.run();
          } finally {
            completeQuietly(context);
          }
        });
        return;
      } catch (IllegalStateException ended) {
        // the request has ended already: finish here
      }
    }
    try {
      finish.run();
    } finally {
      completeQuietly(context);
    }
  }

  private static void completeQuietly(AsyncContext context) {
    try {
      context.complete();
    } catch (IllegalStateException alreadyEnded) {
      // the container ended the request itself
    }
  }
}
