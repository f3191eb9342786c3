package dev.keyway.ollama.internal;

import dev.keyway.ollama.OllamaHttpException;
import dev.keyway.ollama.OllamaTransportException;
import io.github.resilience4j.core.IntervalBiFunction;
import io.github.resilience4j.retry.Retry;
import io.github.resilience4j.retry.RetryConfig;
import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Keyway's default resilience4j policy: retry connect failures and 408/429/502/503/504 with
 * exponential backoff and jitter, honouring {@code Retry-After} up to the maximum backoff.
 * The waits come from the interval function only; resilience4j's JVM-wide sleep function is left
 * alone.
 */
final class RetryPolicy {
  static final Set<Integer> RETRYABLE_STATUSES = Set.of(408, 429, 502, 503, 504);

  private RetryPolicy() {}

  static Retry create(ClientConfig config) {
    if (config.retry() != null) {
      return config.retry();
    }
    Duration initial = config.initialBackoff();
    Duration max = config.maxBackoff();
    RetryConfig retryConfig =
        RetryConfig.custom()
            .maxAttempts(config.maxRetries() + 1)
            .retryOnException(e -> isRetryable(e, max))
            .intervalBiFunction(interval(initial, max))
            .failAfterMaxAttempts(false)
            .build();
    return Retry.of("keyway-ollama", retryConfig);
  }

  static boolean isRetryable(Throwable e, Duration maxWait) {
    if (e instanceof OllamaHttpException http) {
      if (!RETRYABLE_STATUSES.contains(http.status())) {
        return false;
      }
      // A server asking for more patience than we are willing to give gets its answer at once.
      return http.retryAfter().map(d -> d.compareTo(maxWait) <= 0).orElse(true);
    }
    if (e instanceof OllamaTransportException) {
      Throwable cause = e.getCause();
      return cause instanceof ConnectException
          || cause instanceof NoRouteToHostException
          || (cause != null && HttpErrors.isConnectTimeout(cause));
    }
    return false;
  }

  static IntervalBiFunction<Object> interval(Duration initial, Duration max) {
    return (attempt, outcome) -> {
      if (outcome.isLeft() && outcome.getLeft() instanceof OllamaHttpException http
          && http.retryAfter().isPresent()) {
        return Math.min(http.retryAfter().get().toMillis(), max.toMillis());
      }
      double base = initial.toMillis() * Math.pow(2, Math.max(0, attempt - 1));
      double jittered = base * (0.5 + ThreadLocalRandom.current().nextDouble());
      return (long) Math.min(jittered, max.toMillis());
    };
  }
}
