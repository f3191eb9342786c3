package dev.keyway.ollama.internal;

import dev.keyway.ollama.model.ChatResponse;
import dev.keyway.ollama.model.GenerateResponse;
import dev.keyway.ollama.model.Logprob;
import dev.keyway.ollama.model.Message;
import dev.keyway.ollama.model.Progress;
import dev.keyway.ollama.model.ToolCall;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * Folds a stream's chunks into the answer a non-streamed call would have returned: text and
 * thinking joined, tool calls gathered from every chunk (they may ride on the done chunk too),
 * logprobs joined, reason and statistics from the done chunk.
 */
abstract class Accumulator<T> {
  final StringBuilder text = new StringBuilder();
  final StringBuilder thinking = new StringBuilder();
  final List<ToolCall> toolCalls = new ArrayList<>();
  final List<Logprob> logprobs = new ArrayList<>();
  @Nullable T last;

  abstract boolean isDone(T chunk);

  /** What the last line of a complete stream looks like, for error messages. */
  String lastLine() {
    return "a \"done\": true chunk";
  }

  abstract @Nullable Integer evalCount(T chunk);

  abstract void addParts(T chunk);

  abstract T build(T done);

  final void add(T chunk) {
    addParts(chunk);
    last = chunk;
  }

  final T result() {
    if (last == null || !isDone(last)) {
      throw new IllegalStateException("no done chunk yet");
    }
    return build(last);
  }

  final @Nullable String thinkingOrNull() {
    return thinking.length() == 0 ? null : thinking.toString();
  }

  static final class Chat extends Accumulator<ChatResponse> {
    @Override
    boolean isDone(ChatResponse chunk) {
      return chunk.done();
    }

    @Override
    @Nullable Integer evalCount(ChatResponse chunk) {
      return chunk.evalCount();
    }

    @Override
    void addParts(ChatResponse chunk) {
      Message m = chunk.message();
      text.append(m.content());
      if (m.thinking() != null) {
        thinking.append(m.thinking());
      }
      toolCalls.addAll(m.toolCalls());
      logprobs.addAll(chunk.logprobs());
    }

    @Override
    ChatResponse build(ChatResponse d) {
      Message joined =
          new Message(Message.Role.ASSISTANT, text.toString(), thinkingOrNull(), List.of(),
              toolCalls, null, null);
      return new ChatResponse(d.model(), d.remoteModel(), d.remoteHost(), d.createdAt(), joined,
          true, d.doneReason(), d.totalDuration(), d.loadDuration(), d.promptEvalCount(),
          d.promptEvalCachedCount(), d.promptEvalDuration(), d.evalCount(), d.evalDuration(),
          logprobs);
    }
  }

  static final class Generate extends Accumulator<GenerateResponse> {
    @Override
    boolean isDone(GenerateResponse chunk) {
      return chunk.done();
    }

    @Override
    @Nullable Integer evalCount(GenerateResponse chunk) {
      return chunk.evalCount();
    }

    @Override
    void addParts(GenerateResponse chunk) {
      text.append(chunk.response());
      if (chunk.thinking() != null) {
        thinking.append(chunk.thinking());
      }
      toolCalls.addAll(chunk.toolCalls());
      logprobs.addAll(chunk.logprobs());
    }

    @Override
    GenerateResponse build(GenerateResponse d) {
      return new GenerateResponse(d.model(), d.remoteModel(), d.remoteHost(), d.createdAt(),
          text.toString(), thinkingOrNull(), true, d.doneReason(), d.context(), d.totalDuration(),
          d.loadDuration(), d.promptEvalCount(), d.promptEvalCachedCount(),
          d.promptEvalDuration(), d.evalCount(), d.evalDuration(), toolCalls, logprobs);
    }
  }

  /** Pull, push and create: no text to join; complete on {@code "status": "success"}. */
  static final class Transfer extends Accumulator<Progress> {
    @Override
    boolean isDone(Progress chunk) {
      return chunk.isSuccess();
    }

    @Override
    String lastLine() {
      return "a \"status\": \"success\" line";
    }

    @Override
    @Nullable Integer evalCount(Progress chunk) {
      return null;
    }

    @Override
    void addParts(Progress chunk) {}

    @Override
    Progress build(Progress done) {
      return done;
    }
  }
}
