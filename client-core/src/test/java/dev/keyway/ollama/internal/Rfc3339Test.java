package dev.keyway.ollama.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/** The fast timestamp path gives exactly what {@code OffsetDateTime.parse} gives, or its error. */
class Rfc3339Test {

  @ParameterizedTest
  @ValueSource(strings = {
      "2025-10-17T16:47:07.93355-07:00", "2023-12-18T19:52:07.071755Z", "2024-09-12T03:54:03.516566Z",
      "2024-02-29T23:59:59.999999999+14:00", "1970-01-01T00:00:00Z", "0001-01-01T00:00:00Z",
      "9999-12-31T23:59:59-18:00", "2000-02-29T12:00:00.1+05:30", "2026-11-25t10:00:00z",
      "2025-01-01T00:00:00.Z", "2026-11-25T10:00Z", "2026-11-25T10:00:00+01:00:30"})
  void sameAsOffsetDateTime(String text) {
    assertThat(Rfc3339.instant(text)).isEqualTo(OffsetDateTime.parse(text).toInstant());
  }

  @ParameterizedTest
  @ValueSource(strings = {"2023-02-29T00:00:00Z", "2025-13-01T00:00:00Z", "2025-01-01T24:00:00Z",
      "2025-01-01T00:60:00Z", "2025-01-01T00:00:00", "2026-11-25T10:00:00.000000000000Z", "2025-01-01 00:00:00Z",
      "2025-1-01T00:00:00Z", "kw-secret-not-a-date", "2025-01-01T00:00:00+19:00", "2025-01-01T00:00:00Zjunk"})
  void failsLikeOffsetDateTime(String text) {
    assertThatThrownBy(() -> OffsetDateTime.parse(text)).isInstanceOf(DateTimeParseException.class);
    assertThatThrownBy(() -> Rfc3339.instant(text)).isInstanceOf(DateTimeParseException.class);
  }

  @Test
  void randomInstantsInEveryOffsetRoundTrip() {
    SplittableRandom random = new SplittableRandom(42);
    DateTimeFormatter iso = DateTimeFormatter.ISO_OFFSET_DATE_TIME;
    for (int i = 0; i < 100_000; i++) {
      Instant instant = Instant.ofEpochSecond(random.nextLong(-62_135_596_800L, 253_402_300_799L),
          random.nextInt(1_000_000_000));
      ZoneOffset offset = ZoneOffset.ofTotalSeconds(random.nextInt(-18 * 60, 18 * 60 + 1) * 60);
      String text = iso.format(instant.atOffset(offset));
      Instant parsed;
      try {
        parsed = OffsetDateTime.parse(text).toInstant();
      } catch (DateTimeParseException e) {
        continue; // outside what OffsetDateTime reads back; nothing to compare
      }
      assertThat(Rfc3339.instant(text)).as(text).isEqualTo(parsed);
    }
  }

  @Test
  void emptyIsNull() {
    assertThat(Rfc3339.instant("")).isNull();
  }
}
