package dev.keyway.ollama.internal;

import com.fasterxml.jackson.core.JsonParseException;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectReader;
import dev.keyway.ollama.model.GenerateResponse;
import dev.keyway.ollama.model.ToolCall;
import java.io.IOException;
import java.util.List;

/** {@code /api/generate} chunks, field by field; context, tool calls and logprobs through databind. */
final class GenerateChunkDecoder extends ChunkDecoder<GenerateResponse> {
  private static final ObjectReader INTS = Json.MAPPER.readerFor(new TypeReference<List<Integer>>() {});

  private final ChunkHeader h = new ChunkHeader();

  @Override
  // The records' canonical constructors take null for a field the wire left out and store their
  // documented default ("" or an empty list), so their accessors never return null; NullAway sees
  // only the non-null component types.
  @SuppressWarnings("NullAway")
  GenerateResponse decode(JsonParser p) throws IOException {
    h.reset();
    String response = null;
    String thinking = null;
    List<Integer> context = null;
    List<ToolCall> toolCalls = null;
    String field;
    while ((field = p.nextFieldName()) != null) {
      p.nextToken();
      switch (field) {
        case "response" -> response = string(p);
        case "thinking" -> thinking = string(p);
        case "context" -> context = INTS.readValue(p);
        case "tool_calls" -> toolCalls = ChatChunkDecoder.TOOL_CALLS.readValue(p);
        default -> {
          if (!h.read(field, p)) {
            p.skipChildren();
          }
        }
      }
    }
    if (p.currentToken() != JsonToken.END_OBJECT) {
      throw new JsonParseException(p, "expected a field name or '}', got " + p.currentToken());
    }
    error = h.error;
    try {
      return new GenerateResponse(h.model, h.remoteModel, h.remoteHost, h.createdAt, response,
          thinking, h.done, h.doneReason, context, h.totalDuration, h.loadDuration,
          h.promptEvalCount, h.promptEvalCachedCount, h.promptEvalDuration, h.evalCount,
          h.evalDuration, toolCalls, h.logprobs);
    } catch (RuntimeException e) { // a list holding null, refused by the record
      throw new JsonParseException(p, "invalid chunk: " + e.getMessage(), e);
    }
  }
}
