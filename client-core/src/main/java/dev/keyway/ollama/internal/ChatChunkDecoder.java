package dev.keyway.ollama.internal;

import com.fasterxml.jackson.core.JsonParseException;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectReader;
import dev.keyway.ollama.model.ChatResponse;
import dev.keyway.ollama.model.Logprob;
import dev.keyway.ollama.model.Message;
import dev.keyway.ollama.model.ToolCall;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.jspecify.annotations.Nullable;

/** {@code /api/chat} chunks, field by field; tool calls, images and logprobs through databind. */
final class ChatChunkDecoder extends ChunkDecoder<ChatResponse> {
  static final ObjectReader TOOL_CALLS = Json.MAPPER.readerFor(new TypeReference<List<ToolCall>>() {});
  static final ObjectReader LOGPROBS = Json.MAPPER.readerFor(new TypeReference<List<Logprob>>() {});
  static final ObjectReader STRINGS = Json.MAPPER.readerFor(new TypeReference<List<String>>() {});

  // Every chunk of a stream names the same model and role: keep one copy, not one per token.
  private @Nullable String lastModel;

  @Override
  ChatResponse decode(JsonParser p) throws IOException {
    String model = null;
    String remoteModel = null;
    String remoteHost = null;
    Instant createdAt = null;
    Message message = null;
    boolean done = false;
    String doneReason = null;
    Duration totalDuration = null;
    Duration loadDuration = null;
    Integer promptEvalCount = null;
    Integer promptEvalCachedCount = null;
    Duration promptEvalDuration = null;
    Integer evalCount = null;
    Duration evalDuration = null;
    List<Logprob> logprobs = null;
    error = null;
    String field;
    while ((field = p.nextFieldName()) != null) {
      p.nextToken();
      switch (field) {
        case "model" -> model = lastModel = sameOrString(p, lastModel);
        case "created_at" -> createdAt = instant(p);
        case "message" -> message = message(p);
        case "done" -> done = bool(p);
        case "done_reason" -> doneReason = string(p);
        case "total_duration" -> totalDuration = nanos(p);
        case "load_duration" -> loadDuration = nanos(p);
        case "prompt_eval_count" -> promptEvalCount = integer(p);
        case "prompt_eval_cached_count" -> promptEvalCachedCount = integer(p);
        case "prompt_eval_duration" -> promptEvalDuration = nanos(p);
        case "eval_count" -> evalCount = integer(p);
        case "eval_duration" -> evalDuration = nanos(p);
        case "remote_model" -> remoteModel = string(p);
        case "remote_host" -> remoteHost = string(p);
        case "logprobs" -> logprobs = LOGPROBS.readValue(p);
        case "error" -> error = errorText(p);
        default -> p.skipChildren();
      }
    }
    if (p.currentToken() != JsonToken.END_OBJECT) {
      throw new JsonParseException(p, "expected a field name or '}', got " + p.currentToken());
    }
    try {
      return new ChatResponse(model, remoteModel, remoteHost, createdAt, message, done, doneReason,
          totalDuration, loadDuration, promptEvalCount, promptEvalCachedCount, promptEvalDuration,
          evalCount, evalDuration, logprobs);
    } catch (RuntimeException e) { // a list holding null, refused by the record
      throw new JsonParseException(p, "invalid chunk: " + e.getMessage(), e);
    }
  }

  private static @Nullable Message message(JsonParser p) throws IOException {
    JsonToken t = p.currentToken();
    if (t == JsonToken.VALUE_NULL) {
      return null;
    }
    if (t != JsonToken.START_OBJECT) {
      throw new JsonParseException(p, "expected an object for \"message\", got " + t);
    }
    String role = null;
    String content = null;
    String thinking = null;
    List<String> images = null;
    List<ToolCall> toolCalls = null;
    String toolName = null;
    String toolCallId = null;
    String field;
    while ((field = p.nextFieldName()) != null) {
      p.nextToken();
      switch (field) {
        case "role" -> role = sameOrString(p, Message.Role.ASSISTANT);
        case "content" -> content = string(p);
        case "thinking" -> thinking = string(p);
        case "tool_calls" -> toolCalls = TOOL_CALLS.readValue(p);
        case "images" -> images = STRINGS.readValue(p);
        case "tool_name" -> toolName = string(p);
        case "tool_call_id" -> toolCallId = string(p);
        default -> p.skipChildren();
      }
    }
    if (p.currentToken() != JsonToken.END_OBJECT) {
      throw new JsonParseException(p, "expected a field name or '}' in \"message\", got " + p.currentToken());
    }
    try {
      return new Message(role, content, thinking, images, toolCalls, toolName, toolCallId);
    } catch (RuntimeException e) { // a value the record refuses, such as a data: URL image
      throw new JsonParseException(p, "invalid \"message\": " + e.getMessage(), e);
    }
  }
}
