package dev.keyway.ollama.tools;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Marks a method as a tool the model may call; {@link Toolbox#fromMethods(Object)} finds it.
 *
 * <pre>{@code
 * class Weather {
 *   @ToolMethod(description = "Current weather for a city")
 *   String getWeather(@Param("city") String city, @Param(value = "unit", description = "C or F")
 *       @Nullable String unit) { … }
 * }
 * }</pre>
 *
 * <p>Each parameter becomes one property of the tool's argument object, named by {@link Param}
 * or, without it, by the name the compiler kept ({@code javac -parameters}). The method may have
 * any visibility; its return value is sent to the model as text (strings as they are, other
 * values as JSON). The tool's wire definition is {@link dev.keyway.ollama.model.Tool}.
 */
@Documented
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.METHOD)
public @interface ToolMethod {

  /** What the tool does, for the model: when to call it and what it returns. */
  String description();

  /** The name the model calls it by; empty (the default) means the method's name. */
  String name() default "";
}
