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
import java.util.List;
import org.jspecify.annotations.Nullable;

/** {@code /api/chat} chunks, field by field; tool calls, images and logprobs through databind. */
final class ChatChunkDecoder extends ChunkDecoder<ChatResponse> {
  static final ObjectReader TOOL_CALLS = Json.MAPPER.readerFor(new TypeReference<List<ToolCall>>() {});
  static final ObjectReader LOGPROBS = Json.MAPPER.readerFor(new TypeReference<List<Logprob>>() {});
  static final ObjectReader STRINGS = Json.MAPPER.readerFor(new TypeReference<List<String>>() {});

  private final ChunkHeader h = new ChunkHeader();

  @Override
  // The records' canonical constructors take null for a field the wire left out and store their
  // documented default ("" or an empty list), so their accessors never return null; NullAway sees
  // only the non-null component types.
  @SuppressWarnings("NullAway")
  ChatResponse decode(JsonParser p) throws IOException {
    h.reset();
    Message message = null;
    String field;
    while ((field = p.nextFieldName()) != null) {
      p.nextToken();
      if (field.equals("message")) {
        message = message(p);
      } else if (!h.read(field, p)) {
        p.skipChildren();
      }
    }
    if (p.currentToken() != JsonToken.END_OBJECT) {
      throw new JsonParseException(p, "expected a field name or '}', got " + p.currentToken());
    }
    error = h.error;
    try {
      return new ChatResponse(h.model, h.remoteModel, h.remoteHost, h.createdAt, message, h.done,
          h.doneReason, h.totalDuration, h.loadDuration, h.promptEvalCount, h.promptEvalCachedCount,
          h.promptEvalDuration, h.evalCount, h.evalDuration, h.logprobs);
    } catch (RuntimeException e) { // a list holding null, refused by the record
      throw new JsonParseException(p, "invalid chunk: " + e.getMessage(), e);
    }
  }

  // The records' canonical constructors take null for a field the wire left out and store their
  // documented default ("" or an empty list), so their accessors never return null; NullAway sees
  // only the non-null component types.
  @SuppressWarnings("NullAway")
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
