package dev.keyway.ollama.tools;

import java.lang.annotation.Annotation;
import java.lang.reflect.AnnotatedType;
import java.lang.reflect.Constructor;
import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.lang.reflect.Parameter;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.OptionalInt;
import java.util.OptionalLong;

/**
 * The one rule for which properties are required (see the package doc), shared by the schema
 * generator and the reader so that the schema the model sees and the check applied agree.
 */
final class Required {
  private Required() {}

  /** A record component seen as its field, accessor or canonical constructor parameter. */
  static boolean recordComponent(Class<?> declaring, java.lang.reflect.Member member, int index) {
    if (!declaring.isRecord()) {
      return false;
    }
    if (member instanceof Field f) {
      return declaredRequired(f.getType(), f.getAnnotations(), f.getAnnotatedType());
    }
    if (member instanceof Method m && m.getParameterCount() == 0) {
      return declaredRequired(m.getReturnType(), m.getAnnotations(), m.getAnnotatedReturnType());
    }
    if (member instanceof Constructor<?> c && index >= 0 && index < c.getParameterCount()
        && c.getParameterCount() == declaring.getRecordComponents().length) {
      return parameter(c.getParameters()[index]);
    }
    return false;
  }

  /** A method tool's parameter. */
  static boolean parameter(Parameter p) {
    return declaredRequired(p.getType(), p.getAnnotations(), p.getAnnotatedType());
  }

  private static boolean declaredRequired(
      Class<?> type, Annotation[] declared, AnnotatedType annotatedType) {
    if (type == Optional.class || type == OptionalInt.class || type == OptionalLong.class
        || type == OptionalDouble.class) {
      return false;
    }
    return !hasNullable(declared) && !hasNullable(annotatedType.getAnnotations());
  }

  private static boolean hasNullable(Annotation[] annotations) {
    for (Annotation a : annotations) {
      if (a.annotationType().getSimpleName().equals("Nullable")) {
        return true;
      }
    }
    return false;
  }
}
