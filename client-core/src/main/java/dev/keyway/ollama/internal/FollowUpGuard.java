package dev.keyway.ollama.internal;

import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;
import okhttp3.Headers;
import okhttp3.Interceptor;
import okhttp3.Response;
import org.jspecify.annotations.Nullable;

/**
 * Keeps OkHttp from repeating a request on its own, so that every request a server sees is an
 * attempt of Keyway's retry policy and counts against its budget ({@code maxAttempts},
 * {@code maxAttemptsPerServer}).
 *
 * <p>OkHttp 4.12's {@code RetryAndFollowUpInterceptor.followUpRequest} sends the same request
 * again, at once and to the same server, when it is answered 503 with {@code Retry-After: 0}, or
 * 408 without a {@code Retry-After} or with {@code 0} (while {@code retryOnConnectionFailure} is on,
 * which Keyway keeps for stale pooled connections). It reads only a {@code Retry-After} of digits,
 * with {@code Integer.valueOf}: a value beyond an {@code int} makes it throw a
 * {@code NumberFormatException} out of {@code Call.execute()}. Those follow-ups happen above the
 * network interceptors, so {@link #HIDE}, the first network interceptor, shows OkHttp an HTTP-date
 * (now) in place of such a {@code Retry-After} on a 408 or 503: a date is never a reason for OkHttp
 * to repeat. It keeps the server's values in the call's {@link Transport.Attempt}, and
 * {@link #RESTORE}, the innermost application interceptor, puts them back before anyone above it
 * (the caller's interceptors, Keyway's error mapping, the gateway) reads the answer: all of them see
 * exactly what the server sent, and Keyway's own policy honours {@code Retry-After: 0} itself.
 *
 * <p>Left to OkHttp: 421 on a coalesced HTTP/2 connection (the request went to a server it was not
 * meant for, and is sent once to its own), authentication challenges (only with an
 * {@code Authenticator} the caller set on their own {@code OkHttpClient}; Keyway sets none),
 * redirects (refused by the redirect guard) and recovery from a broken pooled connection.
 */
final class FollowUpGuard {
  private static final String RETRY_AFTER = "Retry-After";
  /** What OkHttp takes for delay-seconds ({@code "\\d+"}, ASCII digits). */
  private static final Pattern DIGITS = Pattern.compile("\\d+");
  /** RFC 9110's IMF-fixdate. */
  private static final DateTimeFormatter IMF_FIXDATE =
      DateTimeFormatter.ofPattern("EEE, dd MMM yyyy HH:mm:ss 'GMT'", Locale.ROOT);

  /** Network interceptor, first of them: hides a {@code Retry-After} OkHttp would act on. */
  static final Interceptor HIDE = chain -> {
    Response response = chain.proceed(chain.request());
    Transport.Attempt attempt = chain.request().tag(Transport.Attempt.class);
    if (attempt == null) {
      return response; // not a call of Transport's, so nothing would put the header back
    }
    if (!okHttpWouldActOn(response.code(), response.header(RETRY_AFTER))) {
      attempt.hiddenRetryAfter = null;
      return response;
    }
    attempt.hiddenRetryAfter = response.headers(RETRY_AFTER);
    String now = IMF_FIXDATE.format(ZonedDateTime.now(ZoneOffset.UTC));
    return response.newBuilder().headers(
        response.headers().newBuilder().removeAll(RETRY_AFTER).add(RETRY_AFTER, now).build()).build();
  };

  /** Application interceptor, the innermost: puts back what {@link #HIDE} hid. */
  static final Interceptor RESTORE = chain -> {
    Response response = chain.proceed(chain.request());
    Transport.Attempt attempt = chain.request().tag(Transport.Attempt.class);
    if (attempt == null) {
      return response;
    }
    List<String> hidden = attempt.hiddenRetryAfter;
    if (hidden == null) {
      return response;
    }
    attempt.hiddenRetryAfter = null;
    Headers.Builder headers = response.headers().newBuilder().removeAll(RETRY_AFTER);
    for (String value : hidden) {
      headers.addUnsafeNonAscii(RETRY_AFTER, value);
    }
    return response.newBuilder().headers(headers.build()).build();
  };

  private FollowUpGuard() {}

  /**
   * Whether OkHttp's {@code followUpRequest} would repeat an answer of {@code status} with this
   * (last) {@code Retry-After}, or throw reading it.
   */
  static boolean okHttpWouldActOn(int status, @Nullable String retryAfter) {
    if (status != 408 && status != 503) {
      return false;
    }
    if (retryAfter == null) {
      return status == 408; // 408: no Retry-After counts as 0; 503: as "not now"
    }
    if (!DIGITS.matcher(retryAfter).matches()) {
      return false;
    }
    try {
      return Integer.parseInt(retryAfter) == 0;
    } catch (NumberFormatException beyondAnInt) {
      return true;
    }
  }
}
