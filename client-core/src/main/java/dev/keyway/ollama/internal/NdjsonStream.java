package dev.keyway.ollama.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectReader;
import dev.keyway.ollama.OllamaException;
import dev.keyway.ollama.OllamaStream;
import dev.keyway.ollama.OllamaStreamException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Iterator;
import java.util.NoSuchElementException;
import java.util.Spliterator;
import java.util.Spliterators;
import java.util.stream.Stream;
import java.util.stream.StreamSupport;
import okhttp3.Call;
import okhttp3.Response;
import okio.BufferedSource;
import org.jspecify.annotations.Nullable;

/**
 * Reads an NDJSON body line by line. A line is decoded the moment its {@code \n} arrives; nothing
 * waits for a buffer to fill. Lines may be of any length, end in {@code \r\n}, or be blank.
 */
final class NdjsonStream<T> implements OllamaStream<T>, Iterator<T> {
  private static final byte[] ERROR_KEY = "\"error\"".getBytes(StandardCharsets.US_ASCII);
  private static final int EXCERPT = 120;

  private final Call call;
  private final Response response;
  private final BufferedSource source;
  private final ObjectReader reader;
  private final Accumulator<T> accumulator;
  private final HttpErrors errors;
  private final Redactor redactor;
  private final CallTracker tracker;

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

  NdjsonStream(DefaultOllamaClient.Exchange exchange, Class<T> type, Accumulator<T> accumulator,
      HttpErrors errors, Redactor redactor, CallTracker tracker) {
    this.call = exchange.call();
    this.response = exchange.response();
    this.source = response.body().source();
    this.reader = Json.MAPPER.readerFor(type);
    this.accumulator = accumulator;
    this.errors = errors;
    this.redactor = redactor;
    this.tracker = tracker;
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
    next = null;
    return chunk;
  }

  private T readChunk() {
    while (true) {
      byte[] line;
      try {
        line = NdjsonLines.next(source, false);
        if (line == null) {
          throw new OllamaStreamException(
              "Stream from " + HttpErrors.describe(response.request()) + " ended after " + chunks
                  + " chunk(s) without " + accumulator.lastLine() + "; the answer is incomplete.",
              null, chunks, null);
        }
      } catch (IOException e) {
        throw errors.fromIo(e, response.request(), "after " + chunks + " chunk(s) of the stream");
      }
      int end = line.length;
      if (end > 0 && line[end - 1] == '\r') {
        end--;
      }
      if (isBlank(line, end)) {
        continue;
      }
      T chunk = decode(line, end);
      chunks++;
      tracker.chunk();
      accumulator.add(chunk);
      if (accumulator.isDone(chunk)) {
        finished = true;
        response.close();
        tracker.success(accumulator.evalCount(chunk));
      }
      return chunk;
    }
  }

  private T decode(byte[] line, int length) {
    try {
      if (contains(line, length, ERROR_KEY)) {
        JsonNode node = Json.MAPPER.readTree(line, 0, length);
        JsonNode error = node == null ? null : node.get("error");
        if (error != null && !error.isNull()) {
          String text = redactor.redact(HttpErrors.cut(error.isTextual() ? error.asText() : error.toString()));
          throw new OllamaStreamException(
              "Server reported an error in the stream from " + HttpErrors.describe(response.request())
                  + " after " + chunks + " chunk(s): " + text,
              text, chunks, null);
        }
        return reader.readValue(node);
      }
      return reader.readValue(line, 0, length);
    } catch (IOException e) {
      String excerpt = new String(line, 0, Math.min(length, EXCERPT), StandardCharsets.UTF_8);
      throw new OllamaStreamException(
          "Line " + (chunks + 1) + " of the stream from " + HttpErrors.describe(response.request())
              + " is not a valid chunk (" + redactor.redact(reason(e)) + "): "
              + redactor.redact(excerpt) + (length > EXCERPT ? "…" : ""),
          null, chunks, redactor.redact(e));
    }
  }

  private static String reason(IOException e) {
    return e instanceof com.fasterxml.jackson.core.JsonProcessingException j
        ? j.getOriginalMessage() : String.valueOf(e.getMessage());
  }

  private static boolean isBlank(byte[] line, int end) {
    for (int i = 0; i < end; i++) {
      byte b = line[i];
      if (b != ' ' && b != '\t' && b != '\r') {
        return false;
      }
    }
    return true;
  }

  private static boolean contains(byte[] haystack, int length, byte[] needle) {
    outer:
    for (int i = 0; i <= length - needle.length; i++) {
      for (int j = 0; j < needle.length; j++) {
        if (haystack[i + j] != needle[j]) {
          continue outer;
        }
      }
      return true;
    }
    return false;
  }

  @Override
  public T result() {
    while (hasNext()) {
      next();
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
    if (!finished) {
      call.cancel(); // the server sees the disconnect and stops generating
    }
    response.close();
  }
}
