package dev.keyway.ollama.model;

import java.util.Map;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * A tool the model may call, offered in {@link ChatRequest#tools()}.
 *
 * <pre>{@code
 * Tool weather = Tool.function("get_weather", "Get the weather in a given city", """
 *     {"type": "object",
 *      "properties": {"city": {"type": "string", "description": "The city"}},
 *      "required": ["city"]}""");
 * }</pre>
 *
 * @param type the tool type; {@code null} becomes {@value #FUNCTION}, the only one Ollama documents
 * @param function the function's name, description and parameter schema
 */
public record Tool(String type, Function function) {

  /** The tool type for functions: {@value}. */
  public static final String FUNCTION = "function";

  /**
   * Defaults the type to {@value #FUNCTION}.
   *
   * @throws NullPointerException if {@code function} is {@code null}
   */
  public Tool {
    type = type == null ? FUNCTION : type;
    Objects.requireNonNull(function, "function");
  }

  /**
   * A function tool.
   *
   * @param name the name the model calls it by
   * @param description what it does, for the model; {@code null} for none
   * @param parametersSchema a JSON Schema object for the arguments, typically
   *     {@code {"type":"object","properties":{…},"required":[…]}}; copied, order kept
   * @throws IllegalArgumentException if {@code name} is blank
   */
  public static Tool function(
      String name, @Nullable String description, Map<String, ?> parametersSchema) {
    return new Tool(FUNCTION,
        new Function(name, description, JsonValues.copyObject(
            Objects.requireNonNull(parametersSchema, "parametersSchema"))));
  }

  /**
   * A function tool whose parameter schema is given as JSON text.
   *
   * @param name the name the model calls it by
   * @param description what it does, for the model; {@code null} for none
   * @param parametersSchemaJson a JSON Schema object for the arguments
   * @throws IllegalArgumentException if {@code name} is blank, or if the schema is not a JSON
   *     object (the message names the tool)
   */
  public static Tool function(
      String name, @Nullable String description, String parametersSchemaJson) {
    Objects.requireNonNull(parametersSchemaJson, "parametersSchemaJson");
    Map<String, Object> schema =
        JsonValues.parseObject(parametersSchemaJson, "parameters of tool '" + name + "'");
    return new Tool(FUNCTION, new Function(name, description, schema));
  }

  /**
   * A function the model may call.
   *
   * @param name the name the model calls it by
   * @param description what it does, for the model, or {@code null}
   * @param parameters a JSON Schema object for the arguments, in insertion order; {@code null}
   *     becomes empty. Unmodifiable.
   */
  public record Function(String name, @Nullable String description, Map<String, Object> parameters) {

    /**
     * Requires a name and copies the schema, keeping its order.
     *
     * @throws IllegalArgumentException if {@code name} is {@code null} or blank
     */
    public Function {
      if (name == null || name.isBlank()) {
        throw new IllegalArgumentException("a tool needs a name");
      }
      parameters = JsonValues.copyObject(parameters);
    }
  }
}
