package dev.keyway.ollama.spring.gateway;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.HexFormat;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.jspecify.annotations.Nullable;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.core.env.Environment;

/**
 * What a caller id becomes before it is a store key, or goes into an audit event or a log: 128 bits
 * in hex. Without a key it is SHA-256 of the id, which anyone can recompute: an IPv4 address's hash
 * is reversed by trying all four billion of them. With {@code ollama.gateway.caller-hash-key} it is
 * HMAC-SHA256 under that key, which only holders of the key can recompute; every instance that
 * shares a Redis store needs the same key, so that they count a caller under one name.
 */
final class CallerHash {
  /** Shortest key accepted, in characters: a key someone can guess is no key. */
  static final int MIN_KEY_LENGTH = 32;

  /** The property that holds the key. */
  static final String KEY_PROPERTY = "ollama.gateway.caller-hash-key";

  /** SHA-256 of the id, as before a key existed (the store keys it wrote stay valid). */
  static final CallerHash PLAIN = new CallerHash(null);

  private final @Nullable SecretKeySpec key;

  private CallerHash(@Nullable SecretKeySpec key) {
    this.key = key;
  }

  /**
   * The hash under the key {@code ollama.gateway.caller-hash-key} holds in {@code environment}: read
   * by the gateway's denials and the usage limits alike, which may run without the gateway.
   */
  static CallerHash of(Environment environment) {
    return of(Binder.get(environment).bind(KEY_PROPERTY, String.class).orElse(null));
  }

  /**
   * The hash under {@code key}, or {@link #PLAIN} when it is null or empty.
   *
   * @throws IllegalArgumentException when the key is shorter than {@value #MIN_KEY_LENGTH} characters
   */
  static CallerHash of(@Nullable String key) {
    if (key == null || key.isEmpty()) {
      return PLAIN;
    }
    if (key.length() < MIN_KEY_LENGTH) {
      throw new IllegalArgumentException(KEY_PROPERTY + " is " + key.length()
          + " characters long; use at least " + MIN_KEY_LENGTH + " random ones (for example: openssl rand -hex 32)");
    }
    return new CallerHash(new SecretKeySpec(key.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
  }

  /** Whether a key is set. */
  boolean keyed() {
    return key != null;
  }

  /** The caller's hash: 32 hex digits. */
  String hash(String id) {
    byte[] bytes = id.getBytes(StandardCharsets.UTF_8);
    byte[] digest;
    try {
      if (key == null) {
        digest = MessageDigest.getInstance("SHA-256").digest(bytes);
      } else {
        Mac mac = Mac.getInstance("HmacSHA256");
        mac.init(key);
        digest = mac.doFinal(bytes);
      }
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("SHA-256 and HmacSHA256 are in every Java runtime", e);
    }
    return HexFormat.of().formatHex(digest, 0, 16);
  }

  @Override
  public String toString() {
    return key == null ? "CallerHash[SHA-256]" : "CallerHash[HmacSHA256, key set]";
  }
}
