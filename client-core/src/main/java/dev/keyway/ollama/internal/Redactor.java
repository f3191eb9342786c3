package dev.keyway.ollama.internal;

import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;

/**
 * Removes the credential from text that came from elsewhere (an error body, a stream line) before
 * it goes into an exception message: a misbehaving proxy may echo the header back.
 */
final class Redactor {
  static final String MASK = "[redacted]";

  private final @Nullable Supplier<String> credentialValue;

  Redactor(@Nullable Supplier<String> credentialValue) {
    this.credentialValue = credentialValue;
  }

  String redact(String text) {
    if (credentialValue == null || text.isEmpty()) {
      return text;
    }
    String value;
    try {
      value = credentialValue.get();
    } catch (RuntimeException e) {
      return text; // an unreadable secret cannot be in the text we are about to show
    }
    String out = text;
    if (!value.isEmpty()) {
      out = out.replace(value, MASK);
    }
    if (value.startsWith("Bearer ") && value.length() > "Bearer ".length()) {
      out = out.replace(value.substring("Bearer ".length()), MASK);
    }
    return out;
  }

  /**
   * A stand-in for {@code cause} whose messages, down its cause chain, are redacted, with the same
   * stack traces and type names in the messages: a parser's message quotes the value it choked
   * on, which may be the key. {@code cause} itself when no message in the chain holds the key.
   */
  Throwable redact(Throwable cause) {
    return leaks(cause, 0) ? copy(cause, 0) : cause;
  }

  private boolean leaks(@Nullable Throwable t, int depth) {
    if (t == null || depth > 16) {
      return false;
    }
    String message = t.getMessage() == null ? "" : t.getMessage();
    return !redact(message).equals(message) || leaks(t.getCause(), depth + 1);
  }

  private Throwable copy(Throwable t, int depth) {
    String message = t.getMessage() == null ? "" : t.getMessage();
    Throwable cause = t.getCause() == null || depth > 16 ? null : copy(t.getCause(), depth + 1);
    Throwable safe = new java.io.IOException(t.getClass().getName() + ": " + redact(message), cause);
    safe.setStackTrace(t.getStackTrace());
    return safe;
  }
}
