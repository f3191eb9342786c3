package dev.keyway.ollama;

import java.time.Duration;
import org.jspecify.annotations.Nullable;

/**
 * One finished call, as seen by an {@link OllamaCallListener}. Every field is low-cardinality or
 * numeric: safe for metric tags.
 *
 * @param endpoint the API path without prefix, for example {@code api/chat}
 * @param model the model the request named, or {@code null} for endpoints without one
 * @param streamed whether the answer was streamed
 * @param outcome one of the {@code OUTCOME_*} constants
 * @param status the HTTP status, or 0 when none was received
 * @param duration from sending the request to the end of the answer
 * @param timeToFirstChunk for streams, until the first chunk reached the caller; otherwise null
 * @param generatedTokens {@code eval_count} of the answer, when the server sent it
 * @param promptTokens {@code prompt_eval_count} of a chat, generate or embed answer, when the
 *     server sent it
 * @param chunks for streams, the chunks of the answer that reached the caller, the final
 *     {@code done} chunk not counted (so a stream closed early reports what it delivered); 0 for
 *     calls that are not streamed
 */
public record OllamaCallEvent(
    String endpoint,
    @Nullable String model,
    boolean streamed,
    String outcome,
    int status,
    Duration duration,
    @Nullable Duration timeToFirstChunk,
    @Nullable Integer generatedTokens,
    @Nullable Integer promptTokens,
    long chunks) {

  /**
   * An event without prompt tokens ({@code null}) and chunk count (0): the constructor from before
   * events carried them, kept so code that builds events (listener tests) still compiles.
   */
  public OllamaCallEvent(String endpoint, @Nullable String model, boolean streamed, String outcome,
      int status, Duration duration, @Nullable Duration timeToFirstChunk,
      @Nullable Integer generatedTokens) {
    this(endpoint, model, streamed, outcome, status, duration, timeToFirstChunk, generatedTokens, null, 0);
  }

  /** The answer arrived whole. */
  public static final String OUTCOME_SUCCESS = "success";
  /** 401 or 403. */
  public static final String OUTCOME_AUTH_ERROR = "auth_error";
  /** 404 about a model. */
  public static final String OUTCOME_MODEL_NOT_FOUND = "model_not_found";
  /** Any other 4xx. */
  public static final String OUTCOME_CLIENT_ERROR = "client_error";
  /** 5xx. */
  public static final String OUTCOME_SERVER_ERROR = "server_error";
  /**
   * An in-band error, a stream without its done chunk, or an answer that is not Ollama's
   * ({@link OllamaStreamException}, {@link OllamaProtocolException}).
   */
  public static final String OUTCOME_STREAM_ERROR = "stream_error";
  /** Network failure or timeout. */
  public static final String OUTCOME_TRANSPORT_ERROR = "transport_error";
  /** Closed or cancelled by the caller before it finished. */
  public static final String OUTCOME_CANCELLED = "cancelled";

  /** The outcome for an exception a call ended with. */
  public static String outcomeOf(Throwable e) {
    if (e instanceof OllamaCancelledException) {
      return OUTCOME_CANCELLED;
    }
    if (e instanceof OllamaAuthenticationException) {
      return OUTCOME_AUTH_ERROR;
    }
    if (e instanceof OllamaModelNotFoundException) {
      return OUTCOME_MODEL_NOT_FOUND;
    }
    if (e instanceof OllamaHttpException http) {
      return http.status() >= 500 ? OUTCOME_SERVER_ERROR : OUTCOME_CLIENT_ERROR;
    }
    if (e instanceof OllamaTransportException) {
      return OUTCOME_TRANSPORT_ERROR;
    }
    return OUTCOME_STREAM_ERROR;
  }
}
