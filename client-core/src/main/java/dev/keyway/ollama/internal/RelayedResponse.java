package dev.keyway.ollama.internal;

import com.fasterxml.jackson.databind.JsonNode;
import dev.keyway.ollama.OllamaStreamException;
import dev.keyway.ollama.PassThroughResponse;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.Arrays;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import okhttp3.Call;
import okhttp3.Response;
import org.jspecify.annotations.Nullable;

/**
 * A 2xx answer handed out unread by {@link DefaultOllamaClient#passThrough}, observed like a typed
 * call: its {@link CallTracker} ends when the body has been read to its end (success, or the
 * in-band error its last line carries), when a read fails, or when the relay cancels or closes it
 * before the end (cancelled: the relay's own caller left).
 *
 * <p>Usage and {@code load_duration} come from the answer's last line only (a stream's done
 * chunk, or the whole unary answer): each read looks back from its end to the last line break and keeps the bytes since the
 * one before, at most {@value #MAX_LAST_LINE} of them; that one line is parsed at the end. Nothing
 * is kept or parsed for a client without a listener or observer.
 */
final class RelayedResponse implements PassThroughResponse {
  /** Longest last line whose usage is read; a longer one (a large embedding) reports none. */
  static final int MAX_LAST_LINE = 64 * 1024;

  private final Call call;
  private final Response response;
  /**
   * What {@link #body()} hands out, built on its first call: a relayed body ({@link #relayTo})
   * never needs it, and its redaction buffer is the largest part of a call's memory here.
   */
  private @Nullable InputStream body; // guarded by this
  private final CallTracker tracker;
  private final boolean streamed;
  /** A chat or generate stream, whose last line must be its {@code "done": true} chunk. */
  private final boolean endsWithDone;
  private final AtomicBoolean cancelled = new AtomicBoolean();
  /** The socket holding the body for {@link #relayTo}; null when it cannot be relayed. */
  private final @Nullable ChannelSocket held;
  private final long readTimeoutNanos;
  private final Redactor redactor;
  private final @Nullable HttpErrors errors;
  /** The running relay once {@link #relayTo} started one. */
  private volatile RelayLoop.@Nullable Relay relay;

  /** The body's read timeout, kept by {@link StallWatch}; null when the client has none. */
  private final @Nullable Timed timed;

  RelayedResponse(DefaultOllamaClient.Exchange exchange, Redactor redactor, CallTracker tracker,
      boolean streamed, boolean endsWithDone, @Nullable HttpErrors errors) {
    this.call = exchange.call();
    this.streamed = streamed;
    this.endsWithDone = endsWithDone;
    this.response = exchange.response();
    this.tracker = tracker;
    this.held = exchange.held();
    this.readTimeoutNanos = TimeUnit.MILLISECONDS.toNanos(exchange.readTimeoutMillis());
    this.redactor = redactor;
    this.errors = errors;
    this.timed = exchange.readTimeoutMillis() > 0
        ? new Timed(response.body().byteStream(), TimeUnit.MILLISECONDS.toNanos(exchange.readTimeoutMillis()))
        : null;
  }

  /** {@code raw} through what every reader of the body sees: redaction, then observation. */
  private InputStream filtered(InputStream raw) {
    InputStream redacted = redactor.redact(raw);
    return tracker.active() && errors != null ? new Observed(redacted, errors) : redacted;
  }

  @Override
  public int status() {
    return response.code();
  }

  @Override
  public String contentType() {
    return response.header("Content-Type", "application/json");
  }

  @Override
  public synchronized InputStream body() {
    InputStream b = body;
    if (b == null) {
      b = filtered(timed != null ? timed : response.body().byteStream());
      body = b;
    }
    return b;
  }

  @Override
  public void cancel() {
    cancelled.set(true);
    RelayLoop.Relay r = relay;
    if (r != null) {
      r.stop();
    }
    call.cancel();
    tracker.cancelled();
  }

  @Override
  public boolean relayTo(BodySink sink) {
    Objects.requireNonNull(sink, "sink");
    ChannelSocket socket = held;
    synchronized (this) {
      if (socket == null || relay != null || cancelled.get() || !socket.holding()) {
        return false;
      }
      RelayLoop loop = RelayLoop.get(); // before the hijack: a bad keyway.relay.loops leaves the body readable
      byte[] first = socket.hijack();
      ChunkedBody decoded = new ChunkedBody();
      RelayLoop.Relay r = loop.relay(socket, first, decoded, filtered(decoded), sink,
          this::released, readTimeoutNanos);
      relay = r;
      r.start();
      return true;
    }
  }

  @Override
  public void resume() {
    RelayLoop.Relay r = relay;
    if (r != null) {
      r.resume();
    }
  }

  /** The relay ended (its sink heard the end or a failure, or it stopped): the connection goes. */
  private void released() {
    response.close();
    tracker.cancelled(); // a no-op once the body's end or failure was observed
  }

  /**
   * Releases the connection. A stream closed before its end was cancelled (the relay's caller
   * left); a unary answer closed unread to its end was still answered (a HEAD, a filter that read
   * the object it needed), so it ends as a success. Both are no-ops once the call has ended.
   */
  @Override
  public void close() {
    RelayLoop.Relay r = relay;
    if (r != null) {
      r.stop();
    }
    try {
      if (timed != null) {
        StallWatch.INSTANCE.remove(timed);
      }
      response.close();
    } finally {
      // A unary answer closed unread (a HEAD) was still answered: its observation ends as a success.
      InputStream b = streamed || r != null ? null : body();
      if (!(b instanceof Observed observed)) {
        tracker.cancelled();
      } else {
        observed.ended();
      }
    }
  }

  @Override
  public String toString() {
    return "PassThroughResponse{" + response.code() + " " + contentType() + "}";
  }

  /** A filter whose single-byte read goes through its block read, where the work is. */
  private abstract static class BlockReads extends FilterInputStream {
    BlockReads(InputStream in) {
      super(in);
    }

    @Override
    public int read() throws IOException {
      byte[] one = new byte[1];
      int n = read(one, 0, 1);
      return n < 0 ? -1 : one[0] & 0xff;
    }
  }

  /**
   * The body with its read timeout enforced by {@link StallWatch} instead of Okio's watchdog around
   * every socket read (which, with thousands of relayed streams, costs a lock and a sorted insert
   * per read: the largest part of the gateway's CPU at 2,000 streams). A read that waits longer
   * than the timeout cancels the call and fails with a {@link SocketTimeoutException}, as Okio's
   * would.
   */
  private final class Timed extends BlockReads implements StallWatch.Watched {
    private final long timeoutNanos;
    /** {@link System#nanoTime()} when the current read began (never 0 then); 0 between reads. */
    private volatile long readingSince;
    private volatile boolean stalled;
    private boolean watched;

    Timed(InputStream in, long timeoutNanos) {
      super(in);
      this.timeoutNanos = timeoutNanos;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      if (!watched) { // on the reading thread, before its first read: Okio's timeout off, ours on
        watched = true;
        response.body().source().timeout().timeout(0, TimeUnit.NANOSECONDS);
        StallWatch.INSTANCE.add(this);
      }
      readingSince = System.nanoTime() | 1;
      int n;
      try {
        n = in.read(b, off, len);
      } catch (IOException e) {
        StallWatch.INSTANCE.remove(this);
        if (stalled) {
          SocketTimeoutException timeout = new SocketTimeoutException("no byte from upstream for "
              + TimeUnit.NANOSECONDS.toMillis(timeoutNanos) + " ms (the client's read timeout)");
          timeout.initCause(e);
          throw timeout;
        }
        throw e;
      } finally {
        readingSince = 0;
      }
      if (n < 0) {
        StallWatch.INSTANCE.remove(this);
      }
      return n;
    }

    @Override
    public long readingSince() {
      return readingSince;
    }

    @Override
    public long timeoutNanos() {
      return timeoutNanos;
    }

    @Override
    public void stalled() {
      stalled = true;
      call.cancel();
    }
  }

  /** The body, telling the tracker of the first bytes, the end and a failed read. */
  private final class Observed extends BlockReads {
    private final HttpErrors errors;
    /** Bytes of the line being read (since the last line break). */
    private final Line current = new Line();
    /** The last complete non-blank line. */
    private Line complete = new Line();
    private boolean first = true;
    /** The call was ended from here: at the end of the body, or by a failed read. */
    private boolean finished;

    Observed(InputStream in, HttpErrors errors) {
      super(in);
      this.errors = errors;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      int n;
      try {
        n = in.read(b, off, len);
      } catch (IOException e) {
        finished = true;
        if (cancelled.get()) {
          tracker.cancelled();
        } else {
          tracker.failure(errors.fromIo(e, response.request(), "while relaying the answer", false));
        }
        throw e;
      }
      if (n < 0) {
        ended();
      } else if (n > 0) {
        if (first && streamed) {
          first = false;
          tracker.chunk();
        }
        keepLastLine(b, off, off + n);
      }
      return n;
    }

    @Override
    public long skip(long n) throws IOException {
      // Skipped bytes are not looked at: the last line may be lost, never misread.
      current.overflow = true;
      return super.skip(n);
    }

    /** Looks only at the bytes after this read's second-to-last line break. */
    private void keepLastLine(byte[] b, int from, int to) {
      int nl = lastBreak(b, from, to);
      if (nl < 0) {
        current.append(b, from, to);
        return;
      }
      int before = lastBreak(b, from, nl);
      if (before < 0) {
        current.append(b, from, nl);
      } else {
        current.reset();
        current.append(b, before + 1, nl);
      }
      if (!current.isBlank()) {
        Line swap = complete;
        complete = current.copyInto(swap);
      }
      current.reset();
      current.append(b, nl + 1, to);
    }

    private void ended() {
      if (finished) {
        return;
      }
      finished = true;
      Line last = current.isBlank() ? complete : current;
      JsonNode node = last.parse();
      if (node != null && node.hasNonNull("error")) {
        tracker.failure(new OllamaStreamException("The relayed answer from "
            + HttpErrors.describe(response.request()) + " ended with an in-band error", null, 0, null));
        return;
      }
      if (node != null && endsWithDone && !node.path("done").asBoolean(false)) {
        tracker.failure(new OllamaStreamException("The relayed stream from "
            + HttpErrors.describe(response.request()) + " ended without its done chunk", null, 0, null));
        return;
      }
      if (node != null) {
        tracker.answered(new CallTracker.RelayedUsage(text(node, "model"), count(node, "prompt_eval_count"),
            count(node, "eval_count"), text(node, "done_reason"), nanos(node, "load_duration")));
        tracker.success(count(node, "prompt_eval_count"), count(node, "eval_count"));
      } else {
        tracker.success(null);
      }
    }

    private static int lastBreak(byte[] b, int from, int to) {
      for (int i = to - 1; i >= from; i--) {
        if (b[i] == '\n') {
          return i;
        }
      }
      return -1;
    }

    private static @Nullable String text(JsonNode node, String field) {
      JsonNode v = node.get(field);
      return v != null && v.isTextual() && !v.asText().isEmpty() ? v.asText() : null;
    }

    /** A duration Ollama sends as integer nanoseconds (Go's {@code time.Duration}). */
    private static @Nullable Duration nanos(JsonNode node, String field) {
      JsonNode v = node.get(field);
      return v != null && v.isIntegralNumber() && v.canConvertToLong() && v.longValue() >= 0
          ? Duration.ofNanos(v.longValue()) : null;
    }

    private static @Nullable Integer count(JsonNode node, String field) {
      JsonNode v = node.get(field);
      return v != null && v.canConvertToInt() && v.isIntegralNumber() ? v.intValue() : null;
    }
  }

  /** A growing buffer for one line, up to {@link #MAX_LAST_LINE}; past that it only says so. */
  private static final class Line {
    byte[] bytes = new byte[256];
    int length;
    boolean overflow;

    void reset() {
      length = 0;
      overflow = false;
    }

    void append(byte[] b, int from, int to) {
      int n = to - from;
      if (overflow || n <= 0) {
        return;
      }
      if (length + n > MAX_LAST_LINE) {
        overflow = true;
        return;
      }
      if (length + n > bytes.length) {
        bytes = Arrays.copyOf(bytes, Math.min(MAX_LAST_LINE, Math.max(bytes.length * 2, length + n)));
      }
      System.arraycopy(b, from, bytes, length, n);
      length += n;
    }

    boolean isBlank() {
      if (overflow) {
        return false;
      }
      for (int i = 0; i < length; i++) {
        byte c = bytes[i];
        if (c != ' ' && c != '\t' && c != '\r') {
          return false;
        }
      }
      return true;
    }

    /** This line's content copied into {@code target}, which is returned. */
    Line copyInto(Line target) {
      target.reset();
      target.overflow = overflow;
      if (!overflow) {
        target.append(bytes, 0, length);
      }
      return target;
    }

    @Nullable JsonNode parse() {
      if (overflow || length == 0) {
        return null;
      }
      try {
        JsonNode node = Json.MAPPER.readTree(bytes, 0, length);
        return node != null && node.isObject() ? node : null;
      } catch (IOException | RuntimeException e) {
        return null;
      }
    }
  }
}
