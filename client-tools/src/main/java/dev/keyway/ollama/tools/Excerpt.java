package dev.keyway.ollama.tools;

/** A short, single-line window of a text around one position, for error messages. */
final class Excerpt {
  private Excerpt() {}

  /**
   * At most {@link StructuredOutputException#MAX_EXCERPT} characters around the position given by
   * {@code offset} (from 0) or, when that is unknown, by {@code line} and {@code column} (from 1).
   */
  static String around(String text, long offset, int line, int column) {
    int at = offset >= 0 ? (int) Math.min(offset, text.length()) : position(text, line, column);
    int half = StructuredOutputException.MAX_EXCERPT / 2;
    int start = Math.max(0, Math.min(at - half, text.length() - StructuredOutputException.MAX_EXCERPT));
    int end = Math.min(text.length(), start + StructuredOutputException.MAX_EXCERPT);
    return text.substring(start, end).replaceAll("[\\r\\n\\t]", " ");
  }

  private static int position(String text, int line, int column) {
    int pos = 0;
    for (int l = 1; l < line && pos < text.length(); l++) {
      int nl = text.indexOf('\n', pos);
      pos = nl < 0 ? text.length() : nl + 1;
    }
    return Math.min(text.length(), pos + Math.max(0, column - 1));
  }
}
