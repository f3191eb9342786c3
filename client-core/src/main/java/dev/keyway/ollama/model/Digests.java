package dev.keyway.ollama.model;

import java.util.regex.Pattern;

/** The blob digest form Ollama accepts: {@code sha256:} (or {@code sha256-}) and 64 hex digits. */
final class Digests {
  private static final Pattern DIGEST = Pattern.compile("sha256[:-][0-9a-fA-F]{64}");

  private Digests() {}

  static String check(String digest) {
    if (!DIGEST.matcher(digest).matches()) {
      throw new IllegalArgumentException("A blob digest is \"sha256:\" followed by 64 hex digits,"
          + " as uploadBlob returns it; got " + (digest.length() > 80 ? digest.substring(0, 80) + "…" : digest));
    }
    return digest;
  }
}
