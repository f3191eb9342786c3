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
   * A stand-in for {@code cause} whose message is redacted, with the same stack trace and type
   * name in the message: a parser's message quotes the value it choked on, which may be the key.
   */
  Throwable redact(Throwable cause) {
    String message = cause.getMessage() == null ? "" : cause.getMessage();
    String redacted = redact(message);
    if (redacted.equals(message)) {
      return cause;
    }
    Throwable safe = new java.io.IOException(cause.getClass().getName() + ": " + redacted);
    safe.setStackTrace(cause.getStackTrace());
    return safe;
  }
}
