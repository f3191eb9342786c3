package dev.keyway.ollama.tools;

import dev.keyway.ollama.OllamaException;
import dev.keyway.ollama.model.Message;
import java.util.List;

/**
 * Thrown by {@link ToolLoop} when the model still asks for tools after the loop's last allowed
 * round. The conversation so far, tool results included, is in {@link #messages()}.
 */
public final class ToolLoopLimitException extends OllamaException {
  private static final long serialVersionUID = 1L;

  private final int maxRounds;
  private final transient List<Message> messages;

  ToolLoopLimitException(int maxRounds, List<String> lastTools, List<Message> messages) {
    super("the model still asked for tools " + lastTools + " after " + maxRounds
        + (maxRounds == 1 ? " round" : " rounds") + " (chat calls), the limit of this ToolLoop;"
        + " raise it with ToolLoop.withMaxRounds(n) if the task needs more");
    this.maxRounds = maxRounds;
    this.messages = List.copyOf(messages);
  }

  /** The limit that was reached: how many chat calls the loop made. */
  public int maxRounds() {
    return maxRounds;
  }

  /**
   * The conversation up to the limit: the request's messages, then each assistant turn and its
   * tool results, ending with the assistant turn whose tool calls were not run.
   */
  public List<Message> messages() {
    return messages == null ? List.of() : messages;
  }
}
