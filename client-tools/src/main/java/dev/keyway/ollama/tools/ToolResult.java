package dev.keyway.ollama.tools;

import dev.keyway.ollama.model.Message;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * The outcome of one tool call, ready to be sent back to the model with {@link #toMessage()}.
 *
 * @param toolName the name the model called
 * @param toolCallId the call's id, repeated in the answer; {@code null} if the server sent none
 * @param content the text sent to the model: the tool's return value (strings as they are, other
 *     values as JSON, {@code null} as {@code "null"}), or {@code "Error: "} and the error message
 * @param error why the call could not run, or {@code null} if it ran
 */
public record ToolResult(
    String toolName,
    @Nullable String toolCallId,
    String content,
    @Nullable ToolCallException error) {

  /** Requires a name and content. */
  public ToolResult {
    Objects.requireNonNull(toolName, "toolName");
    Objects.requireNonNull(content, "content");
  }

  /** Whether the call could not run and {@link #content()} tells the model why. */
  public boolean isError() {
    return error != null;
  }

  /** The {@code tool} message answering the call, with {@code tool_name} and {@code tool_call_id}. */
  public Message toMessage() {
    return Message.tool(toolName, toolCallId, content);
  }
}
