package dev.keyway.ollama;

import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;

/**
 * Ollama's successful answer to a {@link PassThroughRequest}, unread. Non-2xx answers never arrive
 * here: {@link OllamaClient#passThrough} throws them as {@link OllamaHttpException} and its
 * subclasses, with the server's message and {@code Retry-After}.
 *
 * <p>The body is what Ollama sent, never compressed (the request asks for no content encoding),
 * except that the client's credential, should the server or a proxy echo it in any letter case,
 * is replaced by {@code [redacted]}, also when it is split across reads. Reads block until bytes
 * arrive, within the client's read timeout; a stream's lines are handed out as they come.
 *
 * <p>Close it (try-with-resources) to release the connection. {@link #cancel()} may be called
 * from any thread, for example when the relay's own caller went away: it stops the upstream call,
 * so Ollama stops generating.
 */
public interface PassThroughResponse extends Closeable {
  /** The HTTP status, always 2xx. */
  int status();

  /** The answer's {@code Content-Type}, or {@code application/json} when the server sent none. */
  String contentType();

  /** The answer's bytes; the same stream on every call. */
  InputStream body();

  /** Cancels the upstream call; reads then fail. Idempotent, callable from any thread. */
  void cancel();

  /**
   * Reads the body without a thread waiting on it: Keyway's relay thread hands {@code sink} the
   * bytes as they arrive, through the same redaction and observation as {@link #body()}, so a
   * server holding thousands of slow streams needs no thread per stream. Returns false, and does
   * nothing, when this answer can only be read through {@link #body()}: an {@code https} server
   * (for now), an answer that is not chunked HTTP/1.1 (a unary one, with its length), a client
   * built on an {@code OkHttpClient} with its own socket factory, a decorated client, or once
   * {@link #body()} has been read. At most once per answer; {@link #body()} is not to be read
   * after it returned true.
   *
   * <p>The read timeout applies between two arrivals and to a sink that stays paused. Call
   * {@link #close()} once the sink heard the end or a failure, or to stop early ({@link #cancel()}
   * also stops Ollama generating); after either, the sink hears nothing more, with one exception:
   * called from another thread, either may return while the relay thread is about to hand the sink
   * one more {@code onBytes}. A sink that stops from another thread therefore sets a flag of its
   * own, under the lock its methods take, and ignores calls once it is set.
   *
   * <p>The relay threads are shared by the whole JVM: one per processor and at least two, or as
   * many as the system property {@code keyway.relay.loops} says (1 to 1024), read at the first
   * relay. Fewer threads use less CPU per token; more hold back fewer streams when one is not
   * running (docs/gateway.md).
   *
   * @throws IllegalArgumentException if {@code keyway.relay.loops} is set to something else than a
   *     whole number from 1 to 1024
   */
  default boolean relayTo(BodySink sink) {
    return false;
  }

  /** Reads on after {@link BodySink#onBytes} asked to pause; any thread, idempotent. */
  default void resume() {
  }

  /** Releases the connection. Idempotent; does not throw. */
  @Override
  void close();

  /**
   * Where {@link #relayTo} hands the body: called on Keyway's relay thread, one call at a time,
   * never concurrently. It serves every relayed body of the JVM, so a sink must not block:
   * it writes without waiting (a Servlet {@code WriteListener}'s output, a Netty channel), or keeps
   * the bytes and pauses.
   */
  interface BodySink {
    /**
     * The body's next bytes, which are the sink's to copy now (the array is reused after this
     * returns). Returns false to pause: no call follows until {@link PassThroughResponse#resume()}.
     */
    boolean onBytes(byte[] bytes, int offset, int length);

    /** The body ended as it should; the last call. */
    void onEnd();

    /**
     * Reading failed: the connection broke or ended early, the framing was wrong, or the read
     * timeout passed. Every byte before the failure was handed out. The last call; its message
     * holds nothing of the credential.
     */
    void onFailure(IOException failure);
  }
}
