package dev.keyway.ollama.internal;

import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import org.jspecify.annotations.Nullable;

/**
 * Ollama's timestamps ({@code 2025-10-17T16:47:07.93355-07:00}, Go's RFC 3339 with nanoseconds)
 * read straight from the parser's characters: {@code created_at} arrives on every chunk, and
 * {@code OffsetDateTime.parse} costs more than decoding the rest of the chunk. Anything that is
 * not the plain form goes to {@code OffsetDateTime.parse}, so the result is the same either way.
 */
final class Rfc3339 {
  private Rfc3339() {}

  /** The instant, or {@code null} for an empty text. */
  static @Nullable Instant instant(char[] c, int off, int len) {
    if (len == 0) {
      return null;
    }
    long epochSecond = Long.MIN_VALUE;
    int nanos = 0;
    // yyyy-MM-ddTHH:mm:ss then [.fraction] then Z | ±HH:MM
    if (len >= 20 && c[off + 4] == '-' && c[off + 7] == '-' && (c[off + 10] == 'T' || c[off + 10] == 't')
        && c[off + 13] == ':' && c[off + 16] == ':') {
      int year = digits(c, off, 4);
      int month = digits(c, off + 5, 2);
      int day = digits(c, off + 8, 2);
      int hour = digits(c, off + 11, 2);
      int minute = digits(c, off + 14, 2);
      int second = digits(c, off + 17, 2);
      int i = off + 19;
      int end = off + len;
      if (i < end && c[i] == '.') {
        int scale = 100_000_000;
        i++;
        int start = i;
        while (i < end && c[i] >= '0' && c[i] <= '9') {
          if (scale > 0) {
            nanos += (c[i] - '0') * scale;
            scale /= 10;
          }
          i++;
        }
        if (i == start || i - start > 9) {
          year = -1; // ".Z" and more than nine digits: whatever OffsetDateTime makes of them
        }
      }
      int offsetSeconds = 0;
      if (i < end && (c[i] == 'Z' || c[i] == 'z') && i + 1 == end) {
        i++;
      } else if (i + 6 == end && (c[i] == '+' || c[i] == '-') && c[i + 3] == ':') {
        int oh = digits(c, i + 1, 2);
        int om = digits(c, i + 4, 2);
        offsetSeconds = oh < 0 || om < 0 || oh > 18 || om > 59 ? Integer.MIN_VALUE
            : (c[i] == '-' ? -1 : 1) * (oh * 3600 + om * 60);
        i = end;
      } else {
        year = -1;
      }
      if (year >= 0 && month >= 1 && month <= 12 && day >= 1 && day <= lengthOf(year, month)
          && hour >= 0 && hour <= 23 && minute >= 0 && minute <= 59 && second >= 0 && second <= 59
          && offsetSeconds != Integer.MIN_VALUE) {
        epochSecond = epochDay(year, month, day) * 86_400L + hour * 3600L + minute * 60L + second
            - offsetSeconds;
      }
    }
    if (epochSecond == Long.MIN_VALUE) {
      return OffsetDateTime.parse(new String(c, off, len)).toInstant(); // the odd forms, or a DateTimeParseException
    }
    return Instant.ofEpochSecond(epochSecond, nanos);
  }

  /** The same, from a string; throws {@link DateTimeParseException} when it is not RFC 3339. */
  static @Nullable Instant instant(String text) {
    return instant(text.toCharArray(), 0, text.length());
  }

  private static int digits(char[] c, int off, int n) {
    int v = 0;
    for (int i = off; i < off + n; i++) {
      char d = c[i];
      if (d < '0' || d > '9') {
        return -1;
      }
      v = v * 10 + (d - '0');
    }
    return v;
  }

  private static int lengthOf(int year, int month) {
    return switch (month) {
      case 2 -> (year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)) ? 29 : 28;
      case 4, 6, 9, 11 -> 30;
      default -> 31;
    };
  }

  /** Days since 1970-01-01 (proleptic Gregorian), as {@code LocalDate.toEpochDay} computes them. */
  private static long epochDay(int year, int month, int day) {
    long y = year;
    long total = 365 * y;
    if (y >= 0) {
      total += (y + 3) / 4 - (y + 99) / 100 + (y + 399) / 400;
    }
    total += (367 * month - 362) / 12;
    total += day - 1;
    if (month > 2) {
      total--;
      if (!(year % 4 == 0 && (year % 100 != 0 || year % 400 == 0))) {
        total--;
      }
    }
    return total - 719_528; // days from 0000-01-01 to 1970-01-01
  }
}
