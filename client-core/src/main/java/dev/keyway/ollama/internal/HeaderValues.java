package dev.keyway.ollama.internal;

import java.util.Objects;

/**
 * Checks header names and values before OkHttp sees them. OkHttp's own check puts the offending
 * value into its exception message; for a secret that would be a leak, so we refuse first.
 */
public final class HeaderValues {
  private HeaderValues() {}

  /** Returns {@code value} if it is a valid header value; never echoes it in the exception. */
  public static String checkSecret(String what, String value) {
    Objects.requireNonNull(value, what);
    if (value.isEmpty()) {
      throw new IllegalArgumentException(what + " is empty");
    }
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      if (c == '\r' || c == '\n') {
        throw new IllegalArgumentException(
            what + " contains a line break (CR or LF) at index " + i
                + "; refusing it, as it could inject headers. Check for a trailing newline"
                + " in the file or variable the value came from.");
      }
      if ((c < 0x20 && c != '\t') || c >= 0x7f) {
        throw new IllegalArgumentException(
            what + " contains a control or non-ASCII character at index " + i
                + "; header values must be printable ASCII.");
      }
    }
    return value;
  }

  /** Returns {@code name} if it is a valid header name (an HTTP token). */
  public static String checkName(String name) {
    Objects.requireNonNull(name, "header name");
    if (name.isEmpty()) {
      throw new IllegalArgumentException("header name is empty");
    }
    for (int i = 0; i < name.length(); i++) {
      char c = name.charAt(i);
      if (c <= 0x20 || c >= 0x7f || "()<>@,;:\\\"/[]?={}".indexOf(c) >= 0) {
        throw new IllegalArgumentException(
            "header name '" + printable(name) + "' has an invalid character at index " + i);
      }
    }
    return name;
  }

  private static String printable(String s) {
    StringBuilder out = new StringBuilder();
    for (int i = 0; i < s.length() && i < 64; i++) {
      char c = s.charAt(i);
      out.append(c < 0x20 || c >= 0x7f ? '?' : c);
    }
    return out.toString();
  }
}
