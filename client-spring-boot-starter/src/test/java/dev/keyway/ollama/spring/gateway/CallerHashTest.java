package dev.keyway.ollama.spring.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

import org.junit.jupiter.api.Test;

/**
 * The caller hash: unkeyed it stays the SHA-256 it was (a store's keys stay valid); keyed it is
 * HMAC-SHA256, which the expected values here were computed with independently
 * ({@code openssl dgst -sha256 -hmac KEY}); the key never shows.
 */
class CallerHashTest {
  static final String KEY = "kw-caller-hash-key-0123456789abcdef";
  static final String ID = "address:127.0.0.1";

  @Test
  void withoutAKeyItIsTheFirst128BitsOfSha256() {
    // echo -n address:127.0.0.1 | sha256sum
    assertThat(CallerHash.PLAIN.hash(ID)).isEqualTo("5cb01652e9d4c3a822628b8cb5cad545");
    assertThat(CallerHash.of((String) null)).isSameAs(CallerHash.PLAIN);
    assertThat(CallerHash.of("")).isSameAs(CallerHash.PLAIN);
    assertThat(CallerHash.PLAIN.keyed()).isFalse();
  }

  @Test
  void withAKeyItIsTheFirst128BitsOfHmacSha256UnderIt() {
    CallerHash keyed = CallerHash.of(KEY);
    assertThat(keyed.keyed()).isTrue();
    assertThat(keyed.hash(ID)).isEqualTo("4db114729f2a55ccb611725b96eaecfb");
    // Another instance with the same key agrees; one letter of the key changes everything.
    assertThat(CallerHash.of(KEY).hash(ID)).isEqualTo(keyed.hash(ID));
    assertThat(CallerHash.of(KEY.substring(0, KEY.length() - 1) + "F").hash(ID))
        .isEqualTo("27b885001b8d9c3ede32d90720b85b02");
  }

  @Test
  void aShortKeyIsRefusedWithoutShowingIt() {
    String shortKey = "kw-short-key-31";
    assertThatIllegalArgumentException().isThrownBy(() -> CallerHash.of(shortKey))
        .withMessage("ollama.gateway.caller-hash-key is 15 characters long; use at least 32 random ones "
            + "(for example: openssl rand -hex 32)")
        .withMessageNotContaining(shortKey);
  }

  @Test
  void theKeyIsNotInItsText() {
    assertThat(CallerHash.of(KEY).toString()).isEqualTo("CallerHash[HmacSHA256, key set]").doesNotContain(KEY);
    assertThat(CallerHash.PLAIN).hasToString("CallerHash[SHA-256]");
  }
}
