package dev.keyway.samples.chatweb;

/** Text from outside (a model name, an upstream's message) made safe for one log line. */
final class LogText {
  private static final int MAX = 300;

  private LogText() {}

  /**
   * The text with every control character (CR and LF included) written as {@code \n}, {@code \r},
   * {@code \t} or {@code \}{@code uXXXX}, cut to 300 characters: it cannot start a forged log line.
   */
  static String clean(String text) {
    StringBuilder out = new StringBuilder(Math.min(text.length(), MAX) + 16);
    for (int i = 0; i < text.length() && out.length() < MAX; i++) {
      char c = text.charAt(i);
      switch (c) {
        case '\n' -> out.append("\\n");
        case '\r' -> out.append("\\r");
        case '\t' -> out.append("\\t");
        default -> {
          if (Character.isISOControl(c) || c == '\u2028' || c == '\u2029') {
            out.append(String.format("\\u%04x", (int) c));
          } else {
            out.append(c);
          }
        }
      }
    }
    if (out.length() >= MAX && text.length() > MAX) {
      out.append('…');
    }
    return out.toString();
  }
}
