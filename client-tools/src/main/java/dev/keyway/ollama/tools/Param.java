package dev.keyway.ollama.tools;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Names (and optionally describes) a parameter of a {@link ToolMethod @ToolMethod} method.
 *
 * <p>Java does not keep parameter names in class files unless the code is compiled with
 * {@code javac -parameters}, so this annotation is the way that works with any build. Without it
 * the compiled name is used when present; when it is not, {@link Toolbox#fromMethods(Object)}
 * throws and names the parameter.
 */
@Documented
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.PARAMETER)
public @interface Param {

  /** The argument's name in the tool's JSON arguments. */
  String value();

  /** What the argument means, for the model; empty for none. */
  String description() default "";
}
