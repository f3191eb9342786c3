package dev.keyway.ollama.tools;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JavaType;
import dev.keyway.ollama.model.Tool;
import java.util.Map;
import java.util.Objects;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;

/**
 * One tool: its name, description and generated parameter schema, and the code that runs it.
 *
 * <pre>{@code
 * record WeatherArgs(@JsonPropertyDescription("The city, e.g. Tokyo") String city,
 *                    @Nullable String unit) {}
 *
 * ToolFunction weather = ToolFunction.of("get_weather", "Current weather for a city",
 *     WeatherArgs.class, args -> weatherService.get(args.city()));
 * }</pre>
 *
 * <p>The model's arguments are converted into the argument type with Jackson (scalars are
 * coerced leniently: {@code "3"} is accepted for an {@code int}); unknown arguments are ignored.
 * Which properties are required is described in the {@linkplain dev.keyway.ollama.tools package
 * documentation}. Immutable and thread-safe if the body is.
 */
public final class ToolFunction {

  /** Runs a tool with the model's arguments; package-private so that only this module makes one. */
  @FunctionalInterface
  interface Invoker {
    @Nullable Object invoke(Map<String, Object> arguments) throws JsonProcessingException;
  }

  private final Tool tool;
  private final Invoker invoker;

  ToolFunction(String name, @Nullable String description, Map<String, Object> schema,
      Invoker invoker) {
    this.tool = Tool.function(name, description, schema);
    this.invoker = invoker;
  }

  /**
   * A tool whose arguments are one object of {@code argumentsType}, usually a record.
   *
   * @param name the name the model calls it by, for example {@code get_weather}
   * @param description what it does, for the model
   * @param argumentsType the arguments' type; its JSON Schema is the tool's {@code parameters}
   * @param body runs the tool; its result is sent to the model (strings as they are, other values
   *     as JSON). It may throw {@link ToolCallException} to tell the model what to correct.
   * @throws IllegalArgumentException if {@code name} is blank
   */
  public static <A> ToolFunction of(String name, @Nullable String description,
      Class<A> argumentsType, Function<? super A, ?> body) {
    Objects.requireNonNull(argumentsType, "argumentsType");
    Objects.requireNonNull(body, "body");
    JavaType type = ToolJson.MAPPER.constructType(argumentsType);
    return new ToolFunction(name, description, Schemas.of(argumentsType), arguments -> {
      A value = ToolJson.MAPPER.treeToValue(ToolJson.MAPPER.valueToTree(arguments), type);
      return body.apply(value);
    });
  }

  /** The name the model calls it by. */
  public String name() {
    return tool.function().name();
  }

  /** What it does, for the model, or {@code null}. */
  public @Nullable String description() {
    return tool.function().description();
  }

  /** The wire definition, with the generated schema as its {@code parameters}. */
  public Tool tool() {
    return tool;
  }

  Invoker invoker() {
    return invoker;
  }

  @Override
  public String toString() {
    return "ToolFunction[" + name() + "]";
  }
}
