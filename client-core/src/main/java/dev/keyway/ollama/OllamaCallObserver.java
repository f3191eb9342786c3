package dev.keyway.ollama;

import dev.keyway.ollama.internal.HeaderValues;
import dev.keyway.ollama.model.ModelOptions;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.Executor;
import java.util.function.BiConsumer;
import org.jspecify.annotations.Nullable;

/**
 * Observes each call while it runs, for tracing: the seam a tracing library (the Spring Boot
 * starter's Micrometer {@code Observation}, or your own) plugs into. Register with
 * {@link OllamaClient.Builder#observer(OllamaCallObserver)}; a client without one does no extra
 * work per call.
 *
 * <p>For every call that reaches the network, {@link #start} is called once, on the thread that
 * sends the request, just before the first attempt; the {@link Scope} it returns is ended exactly
 * once by {@link Scope#onEnd}: for a unary call when the answer is decoded or the call fails, for
 * a stream at its done chunk, its failure, or when the caller closes it early (outcome
 * {@link OllamaCallEvent#OUTCOME_CANCELLED}). Retries are attempts of the same call, not new calls.
 * Calls that fail before reaching the network (a closed client, a request that cannot be
 * serialized) are not observed.
 *
 * <p>A stream's scope also ends when the caller leaves it: when a {@code publisher(…)}
 * subscriber cancels, when an async handle is cancelled, when the client is closed while the
 * stream runs on its executor, and when an unclosed stream becomes unreachable (a
 * {@link java.lang.ref.Cleaner} ends it, outcome {@link OllamaCallEvent#OUTCOME_CANCELLED}, at
 * the garbage collector's pace).
 *
 * <p>What the observer sees contains no prompt or completion text unless it asks for it with
 * {@link #capturesContent()}, and never the credential: only the endpoint, models, the sampling
 * options that OpenTelemetry's GenAI conventions name, token counts, timings and the outcome.
 * Implementations must be fast and must not throw; an exception from {@code start} is logged and
 * the call goes on unobserved, one from a scope method is logged and ignored.
 */
public interface OllamaCallObserver {

  /**
   * Whether this observer wants the text of prompts and answers: when true,
   * {@link CallInfo#request()} and {@link CallResult#answer()} carry the request and the decoded
   * answer (a stream's joined answer) of chat, generate and embed calls. Read once, when the
   * client is built. False by default: prompts and answers often hold personal data or secrets,
   * and without it the client does no work to hand them over.
   */
  default boolean capturesContent() {
    return false;
  }

  /**
   * An executor that runs tasks in the context current on the calling thread now. The client
   * calls this on the caller's thread when it hands work to its executor: an async stream
   * ({@code chatStream(request, handler)}) or each {@code publisher(…)} (whose subscriptions run
   * there), so that the call's scope, started on the executor, is a child of the caller's current
   * trace rather than of whatever is current on the executor's thread. Returns {@code executor}
   * itself by default.
   */
  default Executor propagating(Executor executor) {
    return executor;
  }

  /**
   * A call is about to be sent. {@code headers} collects headers to add to the upstream request
   * (a W3C {@code traceparent}, for example); they are sent only to the client's own origin.
   *
   * @return the scope to end when the call ends; {@code null} to leave this call unobserved
   */
  @Nullable Scope start(CallInfo call, UpstreamHeaders headers);

  /** One observed call, from {@link #start} to {@link #onEnd}. Methods must not throw. */
  interface Scope {

    /** The first chunk of a streamed answer reached the caller. Called at most once. */
    default void onFirstChunk() {}

    /** The call has ended: called exactly once. */
    void onEnd(CallResult result);
  }

  /**
   * What is known when a call starts.
   *
   * @param endpoint the API path without prefix, for example {@code api/chat}
   * @param model the model the request named, or {@code null} for endpoints without one
   * @param streamed whether the answer is streamed
   * @param options the request's model options (temperature, top_p, num_predict, …), or
   *     {@code null} when it set none; for a relayed call ({@link OllamaClient#passThrough}) only
   *     the options the GenAI conventions name, read from the body's {@code options}
   * @param serverAddress the host of the client's base URL
   * @param serverPort the port of the client's base URL
   * @param request the request object ({@code ChatRequest}, {@code GenerateRequest} or
   *     {@code EmbedRequest}) when the observer {@linkplain #capturesContent() captures content};
   *     otherwise, and always for a relayed call, {@code null}
   */
  record CallInfo(
      String endpoint,
      @Nullable String model,
      boolean streamed,
      @Nullable ModelOptions options,
      String serverAddress,
      int serverPort,
      @Nullable Object request) {

    /** A call described without its request (no content captured). */
    public CallInfo(String endpoint, @Nullable String model, boolean streamed,
        @Nullable ModelOptions options, String serverAddress, int serverPort) {
      this(endpoint, model, streamed, options, serverAddress, serverPort, null);
    }

    @Override
    public String toString() {
      return "CallInfo[endpoint=" + endpoint + ", model=" + model + ", streamed=" + streamed
          + ", options=" + options + ", server=" + serverAddress + ":" + serverPort
          + (request == null ? "" : ", request=" + request.getClass().getSimpleName()) + "]";
    }

    /** The option {@code key} of the request as a number, if it set one. */
    public @Nullable Number numberOption(String key) {
      return options != null && options.get(key) instanceof Number n ? n : null;
    }
  }

  /**
   * How a call ended.
   *
   * @param outcome one of {@link OllamaCallEvent}'s {@code OUTCOME_*} constants
   * @param status the HTTP status, or 0 when none was received
   * @param duration from {@link #start} to the end
   * @param error the exception the call ended with, or {@code null} on success and when the caller
   *     closed a stream early
   * @param responseModel the model that answered ({@code model} of the answer), when known
   * @param inputTokens {@code prompt_eval_count} of the answer, when the server sent it
   * @param outputTokens {@code eval_count} of the answer, when the server sent it
   * @param doneReason {@code done_reason} of the answer, when the server sent it
   * @param timeToFirstChunk for a stream, from {@link #start} until its first chunk was read;
   *     otherwise {@code null}
   * @param loadDuration {@code load_duration} of the answer (the server's time loading or
   *     scheduling the model), when the server sent it
   * @param answer the decoded answer ({@code ChatResponse}, {@code GenerateResponse}; for a stream
   *     the joined answer) when the observer {@linkplain #capturesContent() captures content} and
   *     the call succeeded; otherwise {@code null}
   */
  record CallResult(
      String outcome,
      int status,
      Duration duration,
      @Nullable Throwable error,
      @Nullable String responseModel,
      @Nullable Integer inputTokens,
      @Nullable Integer outputTokens,
      @Nullable String doneReason,
      @Nullable Duration timeToFirstChunk,
      @Nullable Duration loadDuration,
      @Nullable Object answer) {

    /** A result without timings and answer. */
    public CallResult(String outcome, int status, Duration duration, @Nullable Throwable error,
        @Nullable String responseModel, @Nullable Integer inputTokens,
        @Nullable Integer outputTokens, @Nullable String doneReason) {
      this(outcome, status, duration, error, responseModel, inputTokens, outputTokens, doneReason,
          null, null, null);
    }

    @Override
    public String toString() {
      return "CallResult[outcome=" + outcome + ", status=" + status + ", duration=" + duration
          + ", error=" + (error == null ? null : error.getClass().getName())
          + ", responseModel=" + responseModel + ", inputTokens=" + inputTokens
          + ", outputTokens=" + outputTokens + ", doneReason=" + doneReason
          + ", timeToFirstChunk=" + timeToFirstChunk + ", loadDuration=" + loadDuration
          + (answer == null ? "" : ", answer=" + answer.getClass().getSimpleName()) + "]";
    }
  }

  /**
   * Headers an observer adds to one call's upstream request. Each name and value is checked when
   * it is set: a value with CR, LF or another control character is refused with an
   * {@link IllegalArgumentException} that does not echo it, so a propagated value can never
   * inject a header. The headers go to the client's own origin only: they are added by a network
   * interceptor on every hop to that origin and never to a redirect elsewhere. The client's own
   * headers (the credential, {@code Accept}, {@code User-Agent}, …) cannot be replaced.
   */
  final class UpstreamHeaders {
    private final Map<String, String> values = new LinkedHashMap<>(4);

    /** Sets {@code name} to {@code value}, replacing an earlier value set here. */
    public synchronized void set(String name, String value) {
      String checked = checkName(name);
      values.put(checked, checkValue(checked, value));
    }

    /** Whether nothing was set. */
    public synchronized boolean isEmpty() {
      return values.isEmpty();
    }

    /** Calls {@code action} for every header set, in order. */
    public synchronized void forEach(BiConsumer<String, String> action) {
      values.forEach(action);
    }

    private static String checkName(String name) {
      HeaderValues.checkName(name);
      if (RESERVED.stream().anyMatch(name::equalsIgnoreCase)) {
        throw new IllegalArgumentException(
            "header " + name + " is set by the client itself and cannot be added by an observer");
      }
      return name;
    }

    private static String checkValue(String name, String value) {
      Objects.requireNonNull(value, "header value");
      for (int i = 0; i < value.length(); i++) {
        char c = value.charAt(i);
        if ((c < 0x20 && c != '\t') || c >= 0x7f) {
          throw new IllegalArgumentException("value of header " + name + " contains "
              + (c == '\r' || c == '\n' ? "a line break (CR or LF)" : "a control or non-ASCII character")
              + " at index " + i + "; refusing it, as it could inject headers");
        }
      }
      return value;
    }

    private static final List<String> RESERVED = List.of("Authorization",
        "X-API-Key", "Proxy-Authorization", "Cookie", "Host", "Content-Type", "Content-Length",
        "Transfer-Encoding", "Accept", "Accept-Encoding", "User-Agent", "Connection");
  }
}
