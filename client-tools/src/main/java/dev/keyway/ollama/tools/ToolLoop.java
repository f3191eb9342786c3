package dev.keyway.ollama.tools;

import dev.keyway.ollama.OllamaClient;
import dev.keyway.ollama.OllamaStream;
import dev.keyway.ollama.model.ChatRequest;
import dev.keyway.ollama.model.ChatResponse;
import dev.keyway.ollama.model.Message;
import dev.keyway.ollama.model.ToolCall;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * Chats until the model answers: sends the request with the toolbox's tools, runs every tool call
 * the model asks for, appends the assistant's turn and one {@code tool} message per call
 * ({@code tool_name}, {@code tool_call_id}), and asks again.
 *
 * <pre>{@code
 * ToolLoop loop = ToolLoop.of(client, toolbox);
 * ToolLoop.Result result = loop.run(ChatRequest.builder().model("qwen3:8b")
 *     .addMessage(Message.user("What is the weather in Tokyo?")).build());
 * System.out.println(result.response().message().content());
 * }</pre>
 *
 * <p>A round is one chat call. The loop makes at most {@link #maxRounds()} of them (default
 * {@value #DEFAULT_MAX_ROUNDS}); if the model still asks for tools in the last one, it throws
 * {@link ToolLoopLimitException} without running them. Tool calls are run one after the other in
 * the order the model gave them. A call the model got wrong (unknown tool, bad arguments) is
 * answered with an error message the model can act on and recorded in {@link Result#toolResults()};
 * any other exception from a tool, from a callback or from the client passes through unchanged.
 *
 * <p>The request's own tools are replaced by the toolbox's; everything else (format, options,
 * think…) is sent on every round. Immutable and thread-safe if the tools are.
 */
public final class ToolLoop {
  /** Chat calls allowed by default: {@value}. */
  public static final int DEFAULT_MAX_ROUNDS = 8;

  private final OllamaClient client;
  private final Toolbox toolbox;
  private final int maxRounds;

  private ToolLoop(OllamaClient client, Toolbox toolbox, int maxRounds) {
    this.client = Objects.requireNonNull(client, "client");
    this.toolbox = Objects.requireNonNull(toolbox, "toolbox");
    this.maxRounds = maxRounds;
  }

  /** A loop over {@code client} with these tools, allowing {@value #DEFAULT_MAX_ROUNDS} rounds. */
  public static ToolLoop of(OllamaClient client, Toolbox toolbox) {
    return new ToolLoop(client, toolbox, DEFAULT_MAX_ROUNDS);
  }

  /**
   * The same loop allowing {@code maxRounds} chat calls.
   *
   * @throws IllegalArgumentException if {@code maxRounds} is less than 1
   */
  public ToolLoop withMaxRounds(int maxRounds) {
    if (maxRounds < 1) {
      throw new IllegalArgumentException("maxRounds must be 1 or more, was " + maxRounds);
    }
    return new ToolLoop(client, toolbox, maxRounds);
  }

  /** How many chat calls one run may make. */
  public int maxRounds() {
    return maxRounds;
  }

  /**
   * Runs the loop with whole answers ({@link OllamaClient#chat}).
   *
   * @throws ToolLoopLimitException if the model still asks for tools in the last allowed round
   */
  public Result run(ChatRequest request) {
    return loop(request, r -> client.chat(r));
  }

  /**
   * Runs the loop with streamed answers ({@link OllamaClient#chatStream(ChatRequest)}), handing
   * each non-empty piece of the assistant's content to {@code onContent} as it arrives (on the
   * calling thread), in every round. Tool calls are collected from all of a round's chunks.
   *
   * @throws ToolLoopLimitException if the model still asks for tools in the last allowed round
   */
  public Result runStream(ChatRequest request, Consumer<String> onContent) {
    Objects.requireNonNull(onContent, "onContent");
    return loop(request, r -> {
      try (OllamaStream<ChatResponse> stream = client.chatStream(r)) {
        for (ChatResponse chunk : stream) {
          String piece = chunk.message().content();
          if (!piece.isEmpty()) {
            onContent.accept(piece);
          }
        }
        return stream.result();
      }
    });
  }

  private Result loop(ChatRequest request, Function<ChatRequest, ChatResponse> send) {
    Objects.requireNonNull(request, "request");
    List<Message> messages = new ArrayList<>(request.messages());
    List<ToolResult> results = new ArrayList<>();
    ChatRequest.Builder next = request.toBuilder().tools(toolbox.tools());
    for (int round = 1; ; round++) {
      ChatResponse response = send.apply(next.messages(messages).build());
      Message assistant = response.message();
      messages.add(assistant);
      List<ToolCall> calls = assistant.toolCalls();
      if (calls.isEmpty()) {
        return new Result(response, messages, results, round);
      }
      if (round >= maxRounds) {
        throw new ToolLoopLimitException(maxRounds,
            calls.stream().map(c -> c.function().name()).toList(), messages);
      }
      for (ToolCall call : calls) {
        ToolResult result = toolbox.execute(call);
        results.add(result);
        messages.add(result.toMessage());
      }
    }
  }

  /**
   * What a run ended with.
   *
   * @param response the model's last answer, the one without tool calls
   * @param messages the whole conversation: the request's messages, each assistant turn with its
   *     tool calls, the tool results, and the final answer; pass it to the next request to go on
   * @param toolResults every tool call run, in order, errors included
   * @param rounds how many chat calls were made
   */
  public record Result(
      ChatResponse response, List<Message> messages, List<ToolResult> toolResults, int rounds) {

    /** Copies the lists. */
    public Result {
      Objects.requireNonNull(response, "response");
      messages = List.copyOf(messages);
      toolResults = List.copyOf(toolResults);
    }
  }
}
