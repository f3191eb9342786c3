package dev.keyway.ollama.tools;

import dev.keyway.ollama.OllamaException;

/**
 * The model's answer does not fit the type {@link StructuredOutput} expected. The message names
 * the reason, the first invalid spot (line and column, both from 1) and quotes at most
 * {@value #MAX_EXCERPT} characters of the answer around it.
 */
public final class StructuredOutputException extends OllamaException {
  private static final long serialVersionUID = 1L;

  /** Longest {@link #excerpt()}: {@value}. */
  public static final int MAX_EXCERPT = 80;

  /** Why the answer does not fit. */
  public enum Reason {
    /** Not JSON: empty, cut off (for example by {@code num_predict}), or text around it. */
    NOT_JSON,
    /** A required property is missing or {@code null}. */
    MISSING_FIELD,
    /** A value has the wrong type, for example a string where a number belongs. */
    WRONG_TYPE
  }

  private final Reason reason;
  private final String path;
  private final int line;
  private final int column;
  private final String excerpt;

  StructuredOutputException(Class<?> type, Reason reason, String detail, String path, int line,
      int column, String excerpt) {
    super("model output is not a valid " + type.getSimpleName() + " (" + reason + "): " + detail
        + (line > 0 ? " at line " + line + ", column " + column : "")
        + (excerpt.isEmpty() ? "" : "; near: " + excerpt));
    this.reason = reason;
    this.path = path;
    this.line = line;
    this.column = column;
    this.excerpt = excerpt;
  }

  /** Why the answer does not fit. */
  public Reason reason() {
    return reason;
  }

  /**
   * Where in the expected structure, for example {@code address.city} or {@code items[2]};
   * empty for the whole answer.
   */
  public String path() {
    return path;
  }

  /** The line of the first invalid spot, from 1; 0 if unknown. */
  public int line() {
    return line;
  }

  /** The column of the first invalid spot, from 1; 0 if unknown. */
  public int column() {
    return column;
  }

  /**
   * Up to {@value #MAX_EXCERPT} characters of the answer around the first invalid spot, line
   * breaks and tabs shown as spaces; empty if the answer was empty.
   */
  public String excerpt() {
    return excerpt;
  }
}
