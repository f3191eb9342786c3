package dev.keyway.ollama.spring.gateway;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.async.ByteArrayFeeder;
import java.io.IOException;
import org.jspecify.annotations.Nullable;

/**
 * Reads the token counts out of the bytes the gateway relays, as they pass: Jackson's non-blocking
 * parser is fed each buffer after it was written to the browser, so nothing is held but the token
 * being parsed. One JSON object (unary) or one per NDJSON line (stream). The last object carrying
 * {@code prompt_eval_count} or {@code eval_count} (the final {@code done} chunk, or an embed
 * answer) gives the charge; without one (a stream cut short) each content chunk delivered counts as
 * one token. Malformed bytes stop the counting, never the relay.
 */
final class UsageMeter {
  private static final JsonFactory FACTORY = new JsonFactory();

  private @Nullable JsonParser parser;
  private int depth;
  private @Nullable String field;
  private long chunks;
  private long counted = -1;
  private boolean objectDone;
  private boolean objectError;
  private long objectCounts;
  private boolean objectHasCounts;

  UsageMeter() {
    try {
      parser = FACTORY.createNonBlockingByteArrayParser();
    } catch (IOException e) {
      parser = null;
    }
  }

  /** Feeds bytes delivered to the browser. */
  void feed(byte[] bytes, int offset, int length) {
    JsonParser p = parser;
    if (p == null || length <= 0) {
      return;
    }
    try {
      ((ByteArrayFeeder) p.getNonBlockingInputFeeder()).feedInput(bytes, offset, offset + length);
      JsonToken token;
      while ((token = p.nextToken()) != null && token != JsonToken.NOT_AVAILABLE) {
        read(p, token);
      }
    } catch (IOException | RuntimeException malformed) {
      parser = null;
    }
  }

  private void read(JsonParser p, JsonToken token) throws IOException {
    switch (token) {
      case START_OBJECT, START_ARRAY -> {
        if (depth == 0) {
          objectDone = false;
          objectError = false;
          objectCounts = 0;
          objectHasCounts = false;
        }
        depth++;
      }
      case END_OBJECT, END_ARRAY -> {
        depth--;
        if (depth == 0) {
          if (objectHasCounts) {
            counted = objectCounts;
          } else if (!objectDone && !objectError) {
            chunks++;
          }
        }
      }
      case FIELD_NAME -> field = depth == 1 ? p.currentName() : null;
      default -> {
        if (depth == 1 && field != null) {
          switch (field) {
            case "done" -> objectDone = token == JsonToken.VALUE_TRUE;
            case "error" -> objectError = true;
            case "prompt_eval_count", "eval_count" -> {
              if (token == JsonToken.VALUE_NUMBER_INT) {
                objectCounts += Math.max(0, p.getLongValue());
                objectHasCounts = true;
              }
            }
            default -> { }
          }
        }
      }
    }
  }

  /** Tokens to charge for what was delivered so far. */
  long tokens() {
    return counted >= 0 ? counted : chunks;
  }
}
