package dev.keyway.ollama.tools;

import com.fasterxml.jackson.databind.JavaType;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.Parameter;
import java.lang.reflect.Type;
import java.lang.reflect.UndeclaredThrowableException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.OptionalInt;
import java.util.OptionalLong;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/** Finds {@link ToolMethod @ToolMethod} methods and turns each into a {@link ToolFunction}. */
final class MethodTools {
  private MethodTools() {}

  static List<ToolFunction> scan(Object target) {
    List<ToolFunction> found = new ArrayList<>();
    Set<String> seen = new HashSet<>();
    for (Class<?> c = target.getClass(); c != null && c != Object.class; c = c.getSuperclass()) {
      for (Method m : c.getDeclaredMethods()) {
        ToolMethod annotation = m.getAnnotation(ToolMethod.class);
        if (annotation == null || m.isSynthetic() || m.isBridge()
            || !seen.add(m.getName() + List.of(m.getParameterTypes()))) {
          continue;
        }
        found.add(toFunction(target, m, annotation));
      }
    }
    if (found.isEmpty()) {
      throw new IllegalArgumentException(
          target.getClass().getName() + " has no method annotated @ToolMethod");
    }
    found.sort(Comparator.comparing(ToolFunction::name));
    return found;
  }

  private static ToolFunction toFunction(Object target, Method m, ToolMethod annotation) {
    if (!m.trySetAccessible()) {
      throw new IllegalArgumentException("cannot call @ToolMethod method " + describe(m)
          + " (its module does not open the package); make it public or open the package");
    }
    Parameter[] parameters = m.getParameters();
    List<Schemas.Property> properties = new ArrayList<>();
    List<JavaType> types = new ArrayList<>();
    for (int i = 0; i < parameters.length; i++) {
      Parameter p = parameters[i];
      Param param = p.getAnnotation(Param.class);
      String name;
      if (param != null && !param.value().isBlank()) {
        name = param.value();
      } else if (p.isNamePresent()) {
        name = p.getName();
      } else {
        throw new IllegalArgumentException("parameter " + i + " of @ToolMethod method " + describe(m)
            + " has no name: annotate it @Param(\"name\") or compile with javac -parameters");
      }
      String description = param == null ? null : param.description();
      properties.add(new Schemas.Property(name, present(p.getParameterizedType()), description,
          Required.parameter(p)));
      types.add(ToolJson.MAPPER.constructType(p.getParameterizedType()));
    }
    String name = annotation.name().isBlank() ? m.getName() : annotation.name();
    Object receiver = Modifier.isStatic(m.getModifiers()) ? null : target;
    return new ToolFunction(name, annotation.description(), Schemas.object(properties),
        arguments -> {
          Object[] values = new Object[properties.size()];
          for (int i = 0; i < values.length; i++) {
            values[i] = argument(name, properties.get(i), types.get(i), arguments);
          }
          return invoke(m, receiver, values);
        });
  }

  private static @Nullable Object argument(String tool, Schemas.Property property, JavaType type,
      Map<String, Object> arguments) throws com.fasterxml.jackson.core.JsonProcessingException {
    Object raw = arguments.get(property.name());
    if (raw == null) {
      if (property.required()) {
        throw ToolJson.invalidArguments(tool, "required property '" + property.name() + "' is "
            + (arguments.containsKey(property.name()) ? "null" : "missing"));
      }
      return absent(type.getRawClass());
    }
    try {
      return ToolJson.MAPPER.treeToValue(ToolJson.MAPPER.valueToTree(raw), type);
    } catch (com.fasterxml.jackson.databind.JsonMappingException e) {
      e.prependPath(arguments, property.name());
      throw e;
    }
  }

  /** The schema of an {@code Optional} parameter is that of its value. */
  private static Type present(Type type) {
    if (type instanceof ParameterizedType pt && pt.getRawType() == Optional.class) {
      return pt.getActualTypeArguments()[0];
    }
    if (type == OptionalInt.class) {
      return int.class;
    }
    if (type == OptionalLong.class) {
      return long.class;
    }
    return type == OptionalDouble.class ? double.class : type;
  }

  private static @Nullable Object absent(Class<?> type) {
    if (type == Optional.class) {
      return Optional.empty();
    }
    if (type == OptionalInt.class) {
      return OptionalInt.empty();
    }
    if (type == OptionalLong.class) {
      return OptionalLong.empty();
    }
    return type == OptionalDouble.class ? OptionalDouble.empty() : null;
  }

  private static @Nullable Object invoke(Method m, @Nullable Object receiver, Object[] values) {
    try {
      return m.invoke(receiver, values);
    } catch (InvocationTargetException e) {
      Throwable cause = e.getCause();
      if (cause instanceof RuntimeException r) {
        throw r;
      }
      if (cause instanceof Error err) {
        throw err;
      }
      throw new UndeclaredThrowableException(cause, "@ToolMethod method " + describe(m) + " threw");
    } catch (IllegalAccessException e) {
      throw new IllegalStateException("cannot call @ToolMethod method " + describe(m), e);
    }
  }

  private static String describe(Method m) {
    return m.getDeclaringClass().getSimpleName() + "." + m.getName();
  }
}
