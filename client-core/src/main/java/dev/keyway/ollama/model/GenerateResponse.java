package dev.keyway.ollama.model;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * A reply from {@code POST /api/generate}: the whole answer, or one chunk of a stream.
 *
 * <p>In a stream, {@code response} and {@code thinking} are deltas. {@code context}, the
 * statistics and {@code doneReason} come only on the last chunk ({@code done} true), and even
 * there any of them may be absent.
 *
 * @param model the model that answered, as named in the request; {@code null} becomes {@code ""}
 * @param remoteModel for a cloud stub, the model that really ran
 * @param remoteHost for a cloud stub, the server that ran it
 * @param createdAt when this reply or chunk was made
 * @param response the generated text, or its delta; {@code null} becomes {@code ""}
 * @param thinking the reasoning trace, or its delta, if any
 * @param done whether this is the last chunk
 * @param doneReason why generation stopped, see {@link DoneReason}
 * @param context token ids of the prompt and answer, to pass to
 *     {@link GenerateRequest.Builder#context(List)} (deprecated by Ollama); empty when absent, as
 *     with {@code raw}
 * @param totalDuration time from receiving the request to the end
 * @param loadDuration time spent loading or scheduling the model
 * @param promptEvalCount input tokens
 * @param promptEvalCachedCount input tokens served from the cache (Ollama v0.33.3+)
 * @param promptEvalDuration time spent on the prompt
 * @param evalCount output tokens
 * @param evalDuration time spent generating
 * @param toolCalls tool calls the model's parser found at the end, if any
 * @param logprobs log probabilities of the output tokens, when the request asked for them
 */
public record GenerateResponse(
    String model,
    @Nullable String remoteModel,
    @Nullable String remoteHost,
    @Nullable Instant createdAt,
    String response,
    @Nullable String thinking,
    boolean done,
    @Nullable String doneReason,
    @JsonInclude(JsonInclude.Include.NON_EMPTY) List<Integer> context,
    @Nullable Duration totalDuration,
    @Nullable Duration loadDuration,
    @Nullable Integer promptEvalCount,
    @Nullable Integer promptEvalCachedCount,
    @Nullable Duration promptEvalDuration,
    @Nullable Integer evalCount,
    @Nullable Duration evalDuration,
    @JsonInclude(JsonInclude.Include.NON_EMPTY) List<ToolCall> toolCalls,
    @JsonInclude(JsonInclude.Include.NON_EMPTY) List<Logprob> logprobs) {

  /** Fills in defaults: missing model and response {@code ""}, missing lists empty. */
  public GenerateResponse {
    model = model == null ? "" : model;
    response = response == null ? "" : response;
    context = context == null ? List.of() : List.copyOf(context);
    toolCalls = toolCalls == null ? List.of() : List.copyOf(toolCalls);
    logprobs = logprobs == null ? List.of() : List.copyOf(logprobs);
  }
}
