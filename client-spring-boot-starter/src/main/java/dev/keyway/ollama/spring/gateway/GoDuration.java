package dev.keyway.ollama.spring.gateway;

import java.math.BigDecimal;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/** Go's {@code time.ParseDuration} grammar, as Ollama reads a string {@code keep_alive}. */
final class GoDuration {
  private static final Map<String, Long> UNIT_NANOS = Map.of("ns", 1L, "us", 1_000L,
      "\u00B5s", 1_000L, "\u03BCs", 1_000L, "ms", 1_000_000L, "s", 1_000_000_000L,
      "m", 60_000_000_000L, "h", 3_600_000_000_000L);

  private GoDuration() {}

  /**
   * The duration in nanoseconds (exact, unbounded), or null when Go would refuse the text:
   * {@code [-+]?} then one or more {@code number unit} pairs ({@code "1h30m"}, {@code "1.5s"},
   * {@code ".5m"}), or a bare {@code "0"}.
   */
  static @Nullable BigDecimal parseNanos(String text) {
    int i = 0;
    boolean negative = false;
    if (i < text.length() && (text.charAt(i) == '-' || text.charAt(i) == '+')) {
      negative = text.charAt(i) == '-';
      i++;
    }
    if (text.substring(i).equals("0")) {
      return BigDecimal.ZERO;
    }
    if (i == text.length()) {
      return null;
    }
    BigDecimal total = BigDecimal.ZERO;
    while (i < text.length()) {
      int start = i;
      while (i < text.length() && isDigit(text.charAt(i))) {
        i++;
      }
      boolean whole = i > start;
      int fractionStart = i;
      if (i < text.length() && text.charAt(i) == '.') {
        i++;
        while (i < text.length() && isDigit(text.charAt(i))) {
          i++;
        }
      }
      boolean fraction = i > fractionStart + 1;
      if (!whole && !fraction) {
        return null;
      }
      String number = text.substring(start, i);
      int unitStart = i;
      while (i < text.length() && text.charAt(i) != '.' && !isDigit(text.charAt(i))) {
        i++;
      }
      Long unit = UNIT_NANOS.get(text.substring(unitStart, i));
      if (unit == null) {
        return null; // includes a missing unit: Go refuses "300"
      }
      BigDecimal value = new BigDecimal(number.endsWith(".") ? number + "0"
          : number.startsWith(".") ? "0" + number : number);
      total = total.add(value.multiply(BigDecimal.valueOf(unit)));
    }
    return negative ? total.negate() : total;
  }

  private static boolean isDigit(char c) {
    return c >= '0' && c <= '9';
  }
}
