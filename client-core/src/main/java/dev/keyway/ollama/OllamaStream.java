package dev.keyway.ollama;

import java.util.stream.Stream;

/**
 * A streamed Ollama response, delivered chunk by chunk as each NDJSON line arrives.
 *
 * <pre>{@code
 * try (OllamaStream<ChatResponse> stream = client.chatStream(request)) {
 *   for (ChatResponse chunk : stream) {
 *     System.out.print(chunk.message().content());
 *   }
 *   ChatResponse whole = stream.result();   // text and thinking joined, tool calls, final stats
 * }
 * }</pre>
 *
 * <p><b>Completeness.</b> Iteration ends after the chunk with {@code "done": true}. If the server
 * writes an {@code {"error": …}} line, or the stream ends without a done chunk, the next call to
 * {@code hasNext()} throws {@link OllamaStreamException}; a dropped connection or a read timeout
 * throws {@link OllamaTransportException}. A partial answer is never presented as complete.
 *
 * <p><b>Closing.</b> Always close the stream (try-with-resources). Closing before the done chunk
 * cancels the HTTP call at once, so the server sees the disconnect and stops generating; this is
 * how a "Stop" button should be implemented, and {@code close()} may be called from any thread.
 * After a close by the caller, iteration ends quietly and {@link #result()} throws.
 *
 * <p><b>Threading.</b> Iterate from one thread. The stream can be iterated once.
 *
 * @param <T> the chunk type, {@code ChatResponse} or {@code GenerateResponse}
 */
public interface OllamaStream<T> extends Iterable<T>, AutoCloseable {

  /**
   * The whole answer: reads any chunks not yet iterated, then returns one response with the
   * content and thinking of every chunk joined, every tool call collected in order, and the done
   * chunk's reason and statistics.
   *
   * @throws OllamaStreamException if the stream failed or was closed before its done chunk, or the
   *     joined answer grew past {@link OllamaClient.Builder#maxAnswerSize(long)} (the stream is then
   *     closed)
   * @throws OllamaCancelledException if another thread closed the stream while this waited
   */
  T result();

  /** The chunks as a sequential {@link Stream}; closing that stream closes this one. */
  Stream<T> stream();

  /** Cancels the call if it has not finished and releases the connection. Idempotent. */
  @Override
  void close();
}
