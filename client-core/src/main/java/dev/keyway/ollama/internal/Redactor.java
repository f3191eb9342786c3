package dev.keyway.ollama.internal;

import java.io.InputStream;
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

  /** {@code text} with the credential, in any ASCII letter case, replaced by {@link #MASK}. */
  String redact(String text) {
    String secret = secret();
    return secret == null || text.isEmpty() ? text : replaceIgnoringCase(text, secret);
  }

  /**
   * {@link #redact(String)} for text that was cut from a longer one at its end: a key straddling
   * the cut leaves only its first characters, which are masked too.
   */
  String redactCutEnd(String text) {
    String secret = secret();
    if (secret == null || text.isEmpty()) {
      return text;
    }
    String redacted = replaceIgnoringCase(text, secret);
    for (int k = Math.min(secret.length() - 1, redacted.length()); k > 0; k--) {
      if (redacted.regionMatches(true, redacted.length() - k, secret, 0, k)) {
        return redacted.substring(0, redacted.length() - k) + MASK;
      }
    }
    return redacted;
  }

  /**
   * {@code in} with the credential, in any ASCII letter case, replaced by {@link #MASK} as the
   * bytes stream past; {@code in} itself when there is no credential.
   */
  InputStream redact(InputStream in) {
    String secret = secret();
    return secret == null ? in : new RedactingInputStream(in, secret);
  }

  /**
   * What must never be shown: the credential's value, or for {@code Bearer <token>} the token
   * (which covers the whole value too). Null when there is none or it cannot be read (an
   * unreadable secret cannot be in the text we are about to show).
   */
  private @Nullable String secret() {
    if (credentialValue == null) {
      return null;
    }
    String value;
    try {
      value = credentialValue.get();
    } catch (RuntimeException e) {
      return null;
    }
    if (value == null || value.isEmpty()) {
      return null;
    }
    if (value.regionMatches(true, 0, "Bearer ", 0, 7) && value.length() > 7) {
      return value.substring(7);
    }
    return value;
  }

  private static String replaceIgnoringCase(String text, String secret) {
    int n = secret.length();
    StringBuilder out = null;
    int copied = 0;
    for (int i = 0; i + n <= text.length(); i++) {
      if (text.regionMatches(true, i, secret, 0, n)) {
        if (out == null) {
          out = new StringBuilder(text.length());
        }
        out.append(text, copied, i).append(MASK);
        copied = i + n;
        i = copied - 1;
      }
    }
    return out == null ? text : out.append(text, copied, text.length()).toString();
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
