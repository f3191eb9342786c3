package dev.keyway.ollama.tools;

import com.fasterxml.jackson.core.JsonProcessingException;
import dev.keyway.ollama.model.Tool;
import dev.keyway.ollama.model.ToolCall;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The tools a conversation offers: their definitions for {@code ChatRequest.tools(…)} and the code
 * that runs a {@link ToolCall}.
 *
 * <pre>{@code
 * Toolbox toolbox = Toolbox.of(weather).plus(Toolbox.fromMethods(new CalendarTools()));
 * ChatRequest request = ChatRequest.builder().model("qwen3:8b").tools(toolbox.tools())
 *     .addMessage(Message.user("Weather in Tokyo?")).build();
 * for (ToolCall call : client.chat(request).message().toolCalls()) {
 *   ToolResult result = toolbox.execute(call);      // send result.toMessage() back
 * }
 * }</pre>
 *
 * <p>Immutable; thread-safe if its tools are. {@link ToolLoop} does the sending back for you.
 */
public final class Toolbox {
  private final Map<String, ToolFunction> functions;

  private Toolbox(Map<String, ToolFunction> functions) {
    this.functions = functions;
  }

  /**
   * A toolbox with these tools, in this order.
   *
   * @throws IllegalArgumentException if two tools have the same name
   */
  public static Toolbox of(ToolFunction... functions) {
    return of(List.of(functions));
  }

  /**
   * A toolbox with these tools, in this order.
   *
   * @throws IllegalArgumentException if two tools have the same name
   */
  public static Toolbox of(List<ToolFunction> functions) {
    Map<String, ToolFunction> byName = new LinkedHashMap<>();
    for (ToolFunction f : functions) {
      if (byName.putIfAbsent(Objects.requireNonNull(f, "function").name(), f) != null) {
        throw new IllegalArgumentException("two tools are named '" + f.name() + "'");
      }
    }
    return new Toolbox(byName);
  }

  /**
   * A toolbox with one tool per {@link ToolMethod @ToolMethod} method of {@code target} and its superclasses,
   * sorted by name, each called on {@code target}. Parameter names come from {@link Param} or,
   * without it, from {@code javac -parameters}.
   *
   * @throws IllegalArgumentException if there is no such method, a parameter has no name, or two
   *     tools have the same name
   */
  public static Toolbox fromMethods(Object target) {
    return of(MethodTools.scan(Objects.requireNonNull(target, "target")));
  }

  /**
   * A toolbox with this one's tools followed by {@code other}'s.
   *
   * @throws IllegalArgumentException if a name is in both
   */
  public Toolbox plus(Toolbox other) {
    List<ToolFunction> all = new ArrayList<>(functions.values());
    all.addAll(other.functions.values());
    return of(all);
  }

  /** The tools, in order. */
  public List<ToolFunction> functions() {
    return List.copyOf(functions.values());
  }

  /** The wire definitions, for {@code ChatRequest.Builder.tools(List)}. */
  public List<Tool> tools() {
    return functions.values().stream().map(ToolFunction::tool).toList();
  }

  /**
   * Runs the tool the model asked for.
   *
   * <p>An unknown tool, arguments that do not fit, or a {@link ToolCallException} thrown by the
   * tool give a result whose {@link ToolResult#error()} says why and whose content tells the
   * model what to fix; nothing is thrown for them. Any other exception thrown by the tool passes
   * through unchanged.
   */
  public ToolResult execute(ToolCall call) {
    String name = call.function().name();
    ToolFunction function = functions.get(name);
    if (function == null) {
      return error(call, new ToolCallException(name, ToolCallException.Reason.UNKNOWN_TOOL,
          "Unknown tool '" + name + "'. Available tools: " + String.join(", ", functions.keySet())
              + "."));
    }
    try {
      Object value = function.invoker().invoke(call.function().arguments());
      return new ToolResult(name, call.id(), ToolJson.render(value), null);
    } catch (JsonProcessingException e) {
      return error(call, ToolJson.invalidArguments(name, ToolJson.describe(e).detail()));
    } catch (ToolCallException e) {
      return error(call, e);
    }
  }

  private static ToolResult error(ToolCall call, ToolCallException e) {
    return new ToolResult(call.function().name(), call.id(), "Error: " + e.getMessage(), e);
  }

  @Override
  public String toString() {
    return "Toolbox" + functions.keySet();
  }
}
