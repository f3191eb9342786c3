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
 *
 * <p>What it holds is bounded by {@code maxSize} (characters of text and thinking, plus an
 * estimate per tool call and log probability): past it, it drops what it held, keeps nothing
 * more, and says {@link #overflowed()}, so an endless or enormous stream cannot exhaust memory.
 */
abstract class Accumulator<T> {
  static final int TOOL_CALL_SIZE = 1024;
  static final int LOGPROB_SIZE = 64;

  final StringBuilder text = new StringBuilder();
  final StringBuilder thinking = new StringBuilder();
  final List<ToolCall> toolCalls = new ArrayList<>();
  final List<Logprob> logprobs = new ArrayList<>();
  private final long maxSize;
  private long held;
  private boolean overflowed;
  @Nullable T last;
  private @Nullable T built;

  Accumulator(long maxSize) {
    this.maxSize = maxSize;
  }

  /** What {@code chunk} would add to what is held, roughly in bytes. */
  abstract long sizeOf(T chunk);

  long maxSize() {
    return maxSize;
  }

  /** Whether the joined answer grew past the bound: {@link #result()} has nothing to give. */
  boolean overflowed() {
    return overflowed;
  }

  abstract boolean isDone(T chunk);

  /** What the last line of a complete stream looks like, for error messages. */
  String lastLine() {
    return "a \"done\": true chunk";
  }

  abstract @Nullable Integer evalCount(T chunk);

  /** {@code prompt_eval_count} of the done chunk, when the answer has one. */
  abstract @Nullable Integer promptEvalCount(T chunk);

  abstract void addParts(T chunk);

  abstract T build(T done);

  final void add(T chunk) {
    last = chunk;
    if (overflowed) {
      return;
    }
    long size = sizeOf(chunk);
    if (size > maxSize - held) {
      overflowed = true;
      text.setLength(0);
      text.trimToSize();
      thinking.setLength(0);
      thinking.trimToSize();
      toolCalls.clear();
      logprobs.clear();
      return;
    }
    held += size;
    addParts(chunk);
  }

  final T result() {
    if (overflowed) {
      throw new IllegalStateException("the answer grew past " + maxSize);
    }
    if (last == null || !isDone(last)) {
      throw new IllegalStateException("no done chunk yet");
    }
    T b = built;
    if (b == null) {
      b = built = build(last); // built once: an observer capturing content and result() share it
    }
    return b;
  }

  final @Nullable String thinkingOrNull() {
    return thinking.length() == 0 ? null : thinking.toString();
  }

  static final class Chat extends Accumulator<ChatResponse> {
    Chat(long maxSize) {
      super(maxSize);
    }

    @Override
    long sizeOf(ChatResponse chunk) {
      Message m = chunk.message();
      return m.content().length() + (m.thinking() == null ? 0 : m.thinking().length())
          + (long) m.toolCalls().size() * TOOL_CALL_SIZE + (long) chunk.logprobs().size() * LOGPROB_SIZE;
    }

    @Override
    boolean isDone(ChatResponse chunk) {
      return chunk.done();
    }

    @Override
    @Nullable Integer evalCount(ChatResponse chunk) {
      return chunk.evalCount();
    }

    @Override
    @Nullable Integer promptEvalCount(ChatResponse chunk) {
      return chunk.promptEvalCount();
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
    Generate(long maxSize) {
      super(maxSize);
    }

    @Override
    long sizeOf(GenerateResponse chunk) {
      return chunk.response().length() + (chunk.thinking() == null ? 0 : chunk.thinking().length())
          + (long) chunk.toolCalls().size() * TOOL_CALL_SIZE
          + (long) chunk.logprobs().size() * LOGPROB_SIZE;
    }

    @Override
    boolean isDone(GenerateResponse chunk) {
      return chunk.done();
    }

    @Override
    @Nullable Integer evalCount(GenerateResponse chunk) {
      return chunk.evalCount();
    }

    @Override
    @Nullable Integer promptEvalCount(GenerateResponse chunk) {
      return chunk.promptEvalCount();
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
    Transfer(long maxSize) {
      super(maxSize);
    }

    @Override
    long sizeOf(Progress chunk) {
      return 0; // only the last line is kept
    }

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
    @Nullable Integer promptEvalCount(Progress chunk) {
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
