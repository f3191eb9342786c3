package dev.keyway.ollama.tools;

import com.fasterxml.jackson.annotation.JsonSetter;
import com.fasterxml.jackson.annotation.Nulls;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParseException;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.exc.InvalidNullException;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.introspect.Annotated;
import com.fasterxml.jackson.databind.introspect.AnnotatedMember;
import com.fasterxml.jackson.databind.introspect.AnnotatedParameter;
import com.fasterxml.jackson.databind.introspect.JacksonAnnotationIntrospector;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.datatype.jdk8.Jdk8Module;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * This module's own {@link ObjectMapper} (never the application's) and the translation of
 * Jackson's errors into short problems a model or a caller can act on.
 */
final class ToolJson {
  static final ObjectMapper MAPPER = JsonMapper.builder()
      .addModule(new Jdk8Module())
      .addModule(new JavaTimeModule())
      .annotationIntrospector(new RequiredIntrospector())
      .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
      .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
      .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
      .disable(SerializationFeature.FAIL_ON_EMPTY_BEANS)
      .build();

  private static final Pattern QUOTED = Pattern.compile("'([^']*)'");

  private ToolJson() {}

  /** What went wrong, in the words of {@link StructuredOutputException.Reason}. */
  record Problem(
      StructuredOutputException.Reason reason,
      String path,
      String detail,
      @Nullable JsonLocation location) {}

  /** A tool's return value as the text sent to the model: strings as they are, the rest as JSON. */
  static String render(@Nullable Object value) {
    if (value instanceof String s) {
      return s;
    }
    try {
      return MAPPER.writeValueAsString(value);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("a tool's result cannot be written as JSON: "
          + e.getOriginalMessage(), e);
    }
  }

  static Problem describe(JsonProcessingException e) {
    String detail = firstLine(e.getOriginalMessage());
    JsonLocation location = e.getLocation();
    if (e instanceof JsonParseException || detail.startsWith("Trailing token")
        || detail.startsWith("No content to map")) {
      return new Problem(StructuredOutputException.Reason.NOT_JSON, "", detail, location);
    }
    if (!(e instanceof JsonMappingException mapping)) {
      return new Problem(StructuredOutputException.Reason.NOT_JSON, "", detail, location);
    }
    String path = path(mapping);
    if (e instanceof InvalidNullException) {
      return new Problem(StructuredOutputException.Reason.MISSING_FIELD, path,
          "required property '" + path + "' is null", location);
    }
    if (e instanceof MismatchedInputException && detail.startsWith("Missing required")) {
      Matcher m = QUOTED.matcher(detail);
      String field = m.find() ? m.group(1) : "?";
      String full = path.equals(field) || path.endsWith("." + field) ? path
          : path.isEmpty() ? field : path + "." + field;
      return new Problem(StructuredOutputException.Reason.MISSING_FIELD, full,
          "required property '" + full + "' is missing", location);
    }
    return new Problem(StructuredOutputException.Reason.WRONG_TYPE, path,
        (path.isEmpty() ? "" : "property '" + path + "': ") + detail, location);
  }

  /** The error sent back to the model when its arguments do not fit a tool. */
  static ToolCallException invalidArguments(String tool, String detail) {
    return new ToolCallException(tool, ToolCallException.Reason.INVALID_ARGUMENTS,
        "Invalid arguments for tool '" + tool + "': " + detail + ". Call " + tool
            + " again with arguments that match its parameters schema.");
  }

  private static String path(JsonMappingException e) {
    StringBuilder sb = new StringBuilder();
    for (JsonMappingException.Reference ref : e.getPath()) {
      if (ref.getFieldName() != null) {
        if (sb.length() > 0) {
          sb.append('.');
        }
        sb.append(ref.getFieldName());
      } else if (ref.getIndex() >= 0) {
        sb.append('[').append(ref.getIndex()).append(']');
      }
    }
    return sb.toString();
  }

  private static String firstLine(@Nullable String message) {
    if (message == null) {
      return "invalid JSON";
    }
    int nl = message.indexOf('\n');
    return nl < 0 ? message : message.substring(0, nl);
  }

  /** Applies {@link Required}'s rule: required record components must be present and non-null. */
  private static final class RequiredIntrospector extends JacksonAnnotationIntrospector {
    private static final long serialVersionUID = 1L;

    @Override
    public @Nullable Boolean hasRequiredMarker(AnnotatedMember m) {
      Boolean declared = super.hasRequiredMarker(m);
      return requiredComponent(m) ? Boolean.TRUE : declared;
    }

    @Override
    public JsonSetter.Value findSetterInfo(Annotated a) {
      JsonSetter.Value value = super.findSetterInfo(a);
      if (a instanceof AnnotatedMember m && !m.getRawType().isPrimitive() && requiredComponent(m)
          && value.getValueNulls() == Nulls.DEFAULT) {
        return value.withValueNulls(Nulls.FAIL);
      }
      return value;
    }

    private static boolean requiredComponent(AnnotatedMember m) {
      Class<?> declaring = m.getDeclaringClass();
      if (declaring == null || !declaring.isRecord()) {
        return false;
      }
      if (m instanceof AnnotatedParameter p) {
        return Required.recordComponent(declaring, p.getOwner().getMember(), p.getIndex());
      }
      return m.getMember() != null && Required.recordComponent(declaring, m.getMember(), -1);
    }
  }
}
