package dev.keyway.ollama.internal;

import com.fasterxml.jackson.core.JsonParser;
import dev.keyway.ollama.model.Logprob;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * The fields chat and generate chunks share (model, time, done, reason, statistics, logprobs,
 * error), read by {@link #read}. One instance per decoder, {@link #reset() reset} per chunk, so a
 * chunk costs no allocation for it.
 */
final class ChunkHeader {
  // Every chunk of a stream names the same model: keep one copy, not one per token.
  private @Nullable String lastModel;

  @Nullable String model;
  @Nullable String remoteModel;
  @Nullable String remoteHost;
  @Nullable Instant createdAt;
  boolean done;
  @Nullable String doneReason;
  @Nullable Duration totalDuration;
  @Nullable Duration loadDuration;
  @Nullable Integer promptEvalCount;
  @Nullable Integer promptEvalCachedCount;
  @Nullable Duration promptEvalDuration;
  @Nullable Integer evalCount;
  @Nullable Duration evalDuration;
  @Nullable List<Logprob> logprobs;
  @Nullable String error;

  void reset() {
    model = remoteModel = remoteHost = doneReason = error = null;
    createdAt = null;
    done = false;
    totalDuration = loadDuration = promptEvalDuration = evalDuration = null;
    promptEvalCount = promptEvalCachedCount = evalCount = null;
    logprobs = null;
  }

  /** Reads {@code field}'s value if it is one of these; false when it is not. */
  boolean read(String field, JsonParser p) throws IOException {
    switch (field) {
      case "model" -> model = lastModel = ChunkDecoder.sameOrString(p, lastModel);
      case "created_at" -> createdAt = ChunkDecoder.instant(p);
      case "done" -> done = ChunkDecoder.bool(p);
      case "done_reason" -> doneReason = ChunkDecoder.string(p);
      case "total_duration" -> totalDuration = ChunkDecoder.nanos(p);
      case "load_duration" -> loadDuration = ChunkDecoder.nanos(p);
      case "prompt_eval_count" -> promptEvalCount = ChunkDecoder.integer(p);
      case "prompt_eval_cached_count" -> promptEvalCachedCount = ChunkDecoder.integer(p);
      case "prompt_eval_duration" -> promptEvalDuration = ChunkDecoder.nanos(p);
      case "eval_count" -> evalCount = ChunkDecoder.integer(p);
      case "eval_duration" -> evalDuration = ChunkDecoder.nanos(p);
      case "remote_model" -> remoteModel = ChunkDecoder.string(p);
      case "remote_host" -> remoteHost = ChunkDecoder.string(p);
      case "logprobs" -> logprobs = ChatChunkDecoder.LOGPROBS.readValue(p);
      case "error" -> error = ChunkDecoder.errorText(p);
      default -> {
        return false;
      }
    }
    return true;
  }
}
