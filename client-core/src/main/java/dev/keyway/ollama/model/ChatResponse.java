package dev.keyway.ollama.model;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * A reply from {@code POST /api/chat}: the whole answer, or one chunk of a stream.
 *
 * <p>In a stream, {@code message.content} and {@code message.thinking} are deltas and every chunk
 * may carry tool calls, the last one ({@code done} true) included. The statistics and
 * {@code doneReason} come only on the last chunk, and even there any of them may be absent (for
 * example when the request only loaded the model).
 *
 * @param model the model that answered, as named in the request; {@code null} becomes {@code ""}
 * @param remoteModel for a cloud stub, the model that really ran
 * @param remoteHost for a cloud stub, the server that ran it
 * @param createdAt when this reply or chunk was made
 * @param message the assistant's message, or its delta; an empty assistant message when absent
 * @param done whether this is the last chunk
 * @param doneReason why generation stopped, see {@link DoneReason}
 * @param totalDuration time from receiving the request to the end
 * @param loadDuration time spent loading or scheduling the model
 * @param promptEvalCount input tokens
 * @param promptEvalCachedCount input tokens served from the cache (Ollama v0.33.3+)
 * @param promptEvalDuration time spent on the prompt
 * @param evalCount output tokens
 * @param evalDuration time spent generating
 * @param logprobs log probabilities of the output tokens, when the request asked for them
 */
public record ChatResponse(
    String model,
    @Nullable String remoteModel,
    @Nullable String remoteHost,
    @Nullable Instant createdAt,
    Message message,
    boolean done,
    @Nullable String doneReason,
    @Nullable Duration totalDuration,
    @Nullable Duration loadDuration,
    @Nullable Integer promptEvalCount,
    @Nullable Integer promptEvalCachedCount,
    @Nullable Duration promptEvalDuration,
    @Nullable Integer evalCount,
    @Nullable Duration evalDuration,
    @JsonInclude(JsonInclude.Include.NON_EMPTY) List<Logprob> logprobs) {

  private static final Message EMPTY_MESSAGE = Message.assistant("");

  /** Fills in defaults: missing model {@code ""}, missing message empty, missing lists empty. */
  public ChatResponse {
    model = model == null ? "" : model;
    message = message == null ? EMPTY_MESSAGE : message;
    logprobs = logprobs == null ? List.of() : List.copyOf(logprobs);
  }
}
