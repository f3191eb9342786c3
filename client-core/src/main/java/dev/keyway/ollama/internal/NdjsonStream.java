package dev.keyway.ollama.internal;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParseException;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import dev.keyway.ollama.OllamaCancelledException;
import dev.keyway.ollama.OllamaException;
import dev.keyway.ollama.OllamaStream;
import dev.keyway.ollama.OllamaStreamException;
import java.io.IOException;
import java.lang.ref.Cleaner;
import java.net.SocketTimeoutException;
import java.util.Iterator;
import java.util.NoSuchElementException;
import java.util.Spliterator;
import java.util.Spliterators;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import java.util.stream.StreamSupport;
import okhttp3.Call;
import okhttp3.Response;
import okio.BufferedSource;
import okio.Timeout;
import org.jspecify.annotations.Nullable;

/**
 * Reads an NDJSON body chunk by chunk. A chunk is decoded the moment its bytes arrive; nothing
 * waits for a buffer to fill. Lines may be of any length, end in {@code \r\n}, or be blank.
 */
final class NdjsonStream<T> implements OllamaStream<T>, Iterator<T> {
  private static final int EXCERPT = 120;
  /** How long the body's end may take to follow the done chunk: OkHttp's own wait on HTTP/1.1. */
  static final long END_AFTER_DONE_MILLIS = 100;
  /** How many bytes may follow the done chunk before the body's end is given up on. */
  static final long MOST_AFTER_DONE = 64 * 1024;

  private final Call call;
  private final Response response;
  private final BufferedSource source;
  private final ChunkDecoder<T> decoder;
  private final Accumulator<T> accumulator;
  private final HttpErrors errors;
  private final Redactor redactor;
  private final CallTracker tracker;

  // One parser over the whole body: chunks are decoded as their bytes arrive, with no line copied
  // and no parser made per line. Created on the reading thread at the first read.
  private @Nullable JsonParser parser;
  private @Nullable ParserWindow window;
  // The read timeout is enforced by StallWatch rather than by Okio around every read.
  private final long readTimeoutNanos;
  // Holds the call and the parser window, never this stream: a stream the caller drops can be
  // collected (and its cleaner run) while the watch still has it.
  private final Watch watch;
  private @Nullable T next;
  private int chunks;
  private boolean iteratorTaken;
  private boolean finished;
  private @Nullable OllamaException failure;
  private volatile boolean closedByCaller;
  // Okio sources are single-threaded: a close from another thread may cancel the call (which is
  // thread-safe) but must leave closing the response to the thread that is reading it.
  private final Object readLock = new Object();
  private boolean reading;
  // Observed streams only: ends the observation (cancelled) of a stream dropped without close.
  private final Cleaner.@Nullable Cleanable abandon;

  NdjsonStream(DefaultOllamaClient.Exchange exchange, ChunkDecoder<T> decoder, Accumulator<T> accumulator,
      HttpErrors errors, Redactor redactor, CallTracker tracker) {
    this.call = exchange.call();
    this.response = exchange.response();
    this.source = response.body().source();
    this.decoder = decoder;
    this.readTimeoutNanos = TimeUnit.MILLISECONDS.toNanos(exchange.readTimeoutMillis());
    this.watch = new Watch(call, readTimeoutNanos);
    this.accumulator = accumulator;
    this.errors = errors;
    this.redactor = redactor;
    this.tracker = tracker;
    // Observed streams, and streams the stall watch will hold: either must not outlive a drop.
    this.abandon = tracker.observedAndOpen() || readTimeoutNanos > 0
        ? Abandon.CLEANER.register(this, new Abandon(tracker, call, watch)) : null;
  }

  /**
   * The read timeout of one stream, enforced by {@link StallWatch}. Refers to the call and the
   * parser window only.
   */
  static final class Watch implements StallWatch.Watched {
    private final Call call;
    private final long timeoutNanos;
    volatile @Nullable ParserWindow window;
    volatile boolean stalled;
    /** The stream ended (read to its end, failed or closed): nothing left to cancel. */
    volatile boolean done;

    Watch(Call call, long timeoutNanos) {
      this.call = call;
      this.timeoutNanos = timeoutNanos;
    }

    @Override
    public long readingSince() {
      ParserWindow w = window;
      return w == null ? 0 : w.readingSince;
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

  /**
   * Ends the call of a stream that became unreachable while open: the caller dropped it without
   * closing it or reading it to the end. Holds the tracker, the call and the watch, never the
   * stream.
   */
  static final class Abandon implements Runnable {
    static final Cleaner CLEANER = Cleaner.create(r -> {
      Thread t = new Thread(r, "keyway-ollama-stream-cleaner");
      t.setDaemon(true);
      return t;
    });
    private final CallTracker tracker;
    private final Call call;
    private final Watch watch;

    Abandon(CallTracker tracker, Call call, Watch watch) {
      this.tracker = tracker;
      this.call = call;
      this.watch = watch;
    }

    @Override
    public void run() {
      StallWatch.INSTANCE.remove(watch);
      boolean ended = tracker.abandoned();
      if (ended || !watch.done) {
        call.cancel(); // the server sees the disconnect and stops generating
      }
    }
  }

  /** The stream has ended: nothing is left for the cleaner to do. */
  private void ended() {
    watch.done = true;
    if (abandon != null) {
      abandon.clean(); // a no-op for the tracker, which has ended
    }
  }

  @Override
  public Iterator<T> iterator() {
    if (iteratorTaken) {
      throw new IllegalStateException("an OllamaStream can be iterated only once");
    }
    iteratorTaken = true;
    return this;
  }

  @Override
  public boolean hasNext() {
    if (next != null) {
      return true;
    }
    if (failure != null) {
      throw failure;
    }
    if (finished || closedByCaller) {
      return false;
    }
    synchronized (readLock) {
      if (closedByCaller) {
        return false;
      }
      reading = true;
    }
    try {
      next = readChunk();
    } catch (OllamaException e) {
      if (closedByCaller) {
        return false; // the read failed because the caller closed the stream from another thread
      }
      failure = e;
      tracker.failure(e);
      release();
      throw e;
    } finally {
      synchronized (readLock) {
        reading = false;
        if (closedByCaller) {
          StallWatch.INSTANCE.remove(watch);
          response.close();
        }
      }
    }
    return true;
  }

  @Override
  public T next() {
    if (!hasNext()) {
      throw new NoSuchElementException();
    }
    T chunk = next;
    if (chunk == null) {
      throw new NoSuchElementException();
    }
    next = null;
    if (!finished) {
      tracker.delivered(); // reading stops at the done chunk: while not finished, this is content
    }
    return chunk;
  }

  private T readChunk() {
    try {
      if (parser == null) {
        window = new ParserWindow(source.inputStream());
        watch.window = window;
        if (readTimeoutNanos > 0) {
          source.timeout().timeout(0, TimeUnit.NANOSECONDS); // OkHttp sets it again per exchange
          StallWatch.INSTANCE.add(watch);
        }
        parser = Json.MAPPER.getFactory().createParser(window);
      }
      JsonToken token = parser.nextToken();
      if (token == null) {
        throw new OllamaStreamException(
            "Stream from " + HttpErrors.describe(response.request()) + " ended after " + chunks
                + " chunk(s) without " + accumulator.lastLine() + "; the answer is incomplete.",
            null, chunks, null);
      }
      if (token != JsonToken.START_OBJECT) {
        throw new JsonParseException(parser, "expected a JSON object, got " + token);
      }
      T chunk = decoder.decode(parser);
      if (decoder.error != null) {
        String text = errors.quoteText(decoder.error);
        throw new OllamaStreamException(
            "Server reported an error in the stream from " + HttpErrors.describe(response.request())
                + " after " + chunks + " chunk(s): " + text,
            text, chunks, null);
      }
      chunks++;
      accumulator.add(chunk);
      tracker.chunk();
      if (accumulator.isDone(chunk)) {
        finished = true;
        StallWatch.INSTANCE.remove(watch);
        readToEnd();
        closeParser();
        response.close();
        // With content captured, the joined answer (built once, and reused by result()).
        tracker.answered(tracker.capturesContent() && !accumulator.overflowed() ? accumulator.result() : chunk);
        tracker.success(accumulator.promptEvalCount(chunk), accumulator.evalCount(chunk));
        ended();
      }
      return chunk;
    } catch (JsonProcessingException e) {
      throw invalidChunk(e);
    } catch (IOException e) {
      IOException cause = watch.stalled ? new SocketTimeoutException("read timed out after "
          + TimeUnit.NANOSECONDS.toMillis(readTimeoutNanos) + " ms") : e;
      throw errors.fromIo(cause, response.request(), "after " + chunks + " chunk(s) of the stream",
          closedByCaller && !watch.stalled);
    }
  }

  private OllamaStreamException invalidChunk(JsonProcessingException e) {
    JsonLocation where = e.getLocation();
    // Redact a long stretch of the line, then cut it: a key across the cut is masked whole.
    String line = window == null ? "" : window.lineAt(where == null ? -1 : where.getByteOffset(), 4 * 1024);
    String excerpt = line.endsWith("…")
        ? redactor.redactCutEnd(line.substring(0, line.length() - 1)) : redactor.redact(line);
    excerpt = excerpt.length() > EXCERPT ? excerpt.substring(0, EXCERPT) + "…" : excerpt;
    return new OllamaStreamException(
        "Line " + (chunks + 1) + " of the stream from " + HttpErrors.describe(response.request())
            + " is not a valid chunk (" + errors.quoteText(String.valueOf(e.getOriginalMessage()))
            + "): " + excerpt,
        null, chunks, redactor.redact(e));
  }

  /**
   * After the done chunk, reads the body to its end: at most {@link #MOST_AFTER_DONE} bytes (Ollama
   * sends none but the line's newline), waiting at most {@link #END_AFTER_DONE_MILLIS} for the end.
   * Closing the body before its end resets an HTTP/2 stream (RST_STREAM), and a proxy may cancel
   * its own request upstream on seeing it; over HTTP/1.1 OkHttp reads the end on close anyway.
   * Nothing here fails the answer, which is whole: a body that does not end in time is closed, as
   * before.
   */
  private void readToEnd() {
    Timeout timeout = source.timeout();
    timeout.deadline(END_AFTER_DONE_MILLIS, TimeUnit.MILLISECONDS);
    try {
      long left = MOST_AFTER_DONE;
      while (left > 0 && !source.exhausted()) {
        long skip = Math.min(left, source.getBuffer().size());
        source.skip(skip);
        left -= skip;
      }
    } catch (IOException e) {
      // timed out or cut after the done chunk: the close that follows ends the exchange
    } finally {
      timeout.clearDeadline();
    }
  }

  private void closeParser() {
    if (parser != null) {
      try {
        parser.close(); // returns its buffers to Jackson's pool, and closes the body
      } catch (IOException ignored) {
        // the body is closed by response.close() as well
      }
    }
  }

  @Override
  public T result() {
    // A close from another thread while this waits is a cancellation; result() asked of a stream
    // its caller had already closed is not (there is simply no answer to give).
    boolean closedBefore = closedByCaller;
    while (hasNext()) {
      next();
      if (accumulator.overflowed()) {
        break; // an endless stream ends here, not when memory does
      }
    }
    if (accumulator.overflowed()) {
      OllamaStreamException e = new OllamaStreamException("The answer streamed from "
          + HttpErrors.describe(response.request()) + " grew past maxAnswerSize ("
          + accumulator.maxSize() + ") after " + chunks + " chunk(s), so it was not joined: read"
          + " its chunks instead of result(), or raise OllamaClient.Builder.maxAnswerSize.",
          null, chunks, null);
      if (!finished && failure == null) {
        failure = e;
        tracker.failure(e);
        release();
      }
      throw e;
    }
    if (!finished && closedByCaller && !closedBefore) {
      throw new OllamaCancelledException("Stream from " + HttpErrors.describe(response.request())
          + " was closed by its caller after " + chunks + " chunk(s); there is no complete answer.",
          null);
    }
    if (!finished) {
      throw new OllamaStreamException(
          "Stream from " + HttpErrors.describe(response.request()) + " was closed after " + chunks
              + " chunk(s), before " + accumulator.lastLine() + "; there is no complete answer.",
          null, chunks, null);
    }
    return accumulator.result();
  }

  @Override
  public Stream<T> stream() {
    return StreamSupport.stream(
            Spliterators.spliteratorUnknownSize(iterator(), Spliterator.ORDERED | Spliterator.NONNULL),
            false)
        .onClose(this::close);
  }

  @Override
  public void close() {
    synchronized (readLock) {
      if (!finished && failure == null && !closedByCaller) {
        closedByCaller = true;
        tracker.cancelled();
      }
      if (reading) {
        call.cancel(); // the reading thread fails at once and closes the response itself
        return;
      }
    }
    release();
  }

  private void release() {
    ended();
    StallWatch.INSTANCE.remove(watch);
    if (!finished) {
      call.cancel(); // the server sees the disconnect and stops generating
    }
    response.close();
  }
}
