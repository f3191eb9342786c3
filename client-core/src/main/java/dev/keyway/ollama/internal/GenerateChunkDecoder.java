package dev.keyway.ollama.internal;

import com.fasterxml.jackson.core.JsonParseException;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectReader;
import dev.keyway.ollama.model.GenerateResponse;
import dev.keyway.ollama.model.Logprob;
import dev.keyway.ollama.model.ToolCall;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.jspecify.annotations.Nullable;

/** {@code /api/generate} chunks, field by field; context, tool calls and logprobs through databind. */
final class GenerateChunkDecoder extends ChunkDecoder<GenerateResponse> {
  private static final ObjectReader INTS = Json.MAPPER.readerFor(new TypeReference<List<Integer>>() {});

  private @Nullable String lastModel;

  @Override
  GenerateResponse decode(JsonParser p) throws IOException {
    String model = null;
    String remoteModel = null;
    String remoteHost = null;
    Instant createdAt = null;
    String response = null;
    String thinking = null;
    boolean done = false;
    String doneReason = null;
    List<Integer> context = null;
    Duration totalDuration = null;
    Duration loadDuration = null;
    Integer promptEvalCount = null;
    Integer promptEvalCachedCount = null;
    Duration promptEvalDuration = null;
    Integer evalCount = null;
    Duration evalDuration = null;
    List<ToolCall> toolCalls = null;
    List<Logprob> logprobs = null;
    error = null;
    String field;
    while ((field = p.nextFieldName()) != null) {
      p.nextToken();
      switch (field) {
        case "model" -> model = lastModel = sameOrString(p, lastModel);
        case "created_at" -> createdAt = instant(p);
        case "response" -> response = string(p);
        case "thinking" -> thinking = string(p);
        case "done" -> done = bool(p);
        case "done_reason" -> doneReason = string(p);
        case "context" -> context = INTS.readValue(p);
        case "total_duration" -> totalDuration = nanos(p);
        case "load_duration" -> loadDuration = nanos(p);
        case "prompt_eval_count" -> promptEvalCount = integer(p);
        case "prompt_eval_cached_count" -> promptEvalCachedCount = integer(p);
        case "prompt_eval_duration" -> promptEvalDuration = nanos(p);
        case "eval_count" -> evalCount = integer(p);
        case "eval_duration" -> evalDuration = nanos(p);
        case "remote_model" -> remoteModel = string(p);
        case "remote_host" -> remoteHost = string(p);
        case "tool_calls" -> toolCalls = ChatChunkDecoder.TOOL_CALLS.readValue(p);
        case "logprobs" -> logprobs = ChatChunkDecoder.LOGPROBS.readValue(p);
        case "error" -> error = errorText(p);
        default -> p.skipChildren();
      }
    }
    if (p.currentToken() != JsonToken.END_OBJECT) {
      throw new JsonParseException(p, "expected a field name or '}', got " + p.currentToken());
    }
    try {
      return new GenerateResponse(model, remoteModel, remoteHost, createdAt, response, thinking, done,
          doneReason, context, totalDuration, loadDuration, promptEvalCount, promptEvalCachedCount,
          promptEvalDuration, evalCount, evalDuration, toolCalls, logprobs);
    } catch (RuntimeException e) { // a list holding null, refused by the record
      throw new JsonParseException(p, "invalid chunk: " + e.getMessage(), e);
    }
  }
}
