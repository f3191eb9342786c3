package dev.keyway.ollama.model;

import java.util.Map;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * A call the model asks the application to make, found in {@link Message#toolCalls()}.
 *
 * <p>Calls always arrive whole, never as partial deltas, but in a stream they may be spread over
 * several chunks, including the final one: collect them from every chunk. Tell calls apart by
 * their position or their {@link #id()}, not by {@link Function#index()}.
 *
 * @param id the call's id (e.g. {@code call_k3v9x2qa}), which a {@link Message#tool(String, String,
 *     String)} answer repeats; absent from servers older than v0.12.10
 * @param function the function to call and its arguments
 */
public record ToolCall(@Nullable String id, Function function) {

  /**
   * Requires a function.
   *
   * @throws NullPointerException if {@code function} is {@code null}
   */
  public ToolCall {
    Objects.requireNonNull(function, "function");
  }

  /**
   * A call without an id, at index 0, for example to replay history.
   *
   * @param name the function's name
   * @param arguments the arguments as a JSON object; {@code null} means none
   */
  public static ToolCall of(String name, @Nullable Map<String, ?> arguments) {
    return new ToolCall(null, new Function(0, name, JsonValues.copyObject(arguments)));
  }

  /**
   * The function part of a tool call.
   *
   * @param index the call's position as numbered by the server's parser; many parsers leave it at
   *     0 for every call, so it is not a key
   * @param name the function's name
   * @param arguments the arguments, a JSON object in the model's order: strings, numbers,
   *     booleans, {@code null}, lists and maps; {@code null} becomes empty. Unmodifiable.
   */
  public record Function(int index, String name, Map<String, Object> arguments) {

    /**
     * Copies the arguments, keeping their order; missing name and arguments become empty.
     */
    public Function {
      name = name == null ? "" : name;
      arguments = JsonValues.copyObject(arguments);
    }
  }
}
