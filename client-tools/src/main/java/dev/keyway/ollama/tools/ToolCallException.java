package dev.keyway.ollama.tools;

import dev.keyway.ollama.OllamaException;

/**
 * A tool call the model got wrong: an unknown tool or arguments that do not fit the tool's
 * parameters. {@link Toolbox#execute} does not throw it: it becomes the
 * {@link ToolResult#error()} of the call, and its message, prefixed with {@code "Error: "}, is
 * sent back to the model as the tool's result so that it can correct the call.
 *
 * <p>A tool's own code may throw it too, for an argument that has the right type but a value the
 * tool cannot use ({@code "no city called Tokio; did you mean Tokyo?"}): the model sees the message
 * the same way. Any other exception thrown by a tool passes through unchanged.
 */
public final class ToolCallException extends OllamaException {
  private static final long serialVersionUID = 1L;

  /** What was wrong with the call. */
  public enum Reason {
    /** No tool in the toolbox has the name the model called. */
    UNKNOWN_TOOL,
    /** The arguments are missing a required one, or one has the wrong type. */
    INVALID_ARGUMENTS
  }

  private final String toolName;
  private final Reason reason;

  /**
   * @param toolName the name the model called
   * @param reason what was wrong
   * @param message the explanation sent to the model; never contains a credential
   */
  public ToolCallException(String toolName, Reason reason, String message) {
    super(message);
    this.toolName = toolName;
    this.reason = reason;
  }

  /** The name the model called. */
  public String toolName() {
    return toolName;
  }

  /** What was wrong with the call. */
  public Reason reason() {
    return reason;
  }
}
