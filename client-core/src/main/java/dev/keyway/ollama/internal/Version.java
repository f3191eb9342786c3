package dev.keyway.ollama.internal;

/** Keyway's version, sent in {@code User-Agent}. */
final class Version {
  static final String VERSION = "0.1.0";

  private Version() {}
}
