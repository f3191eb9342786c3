package dev.keyway.ollama.spring.gateway;

import org.jspecify.annotations.Nullable;

/**
 * What one caller has left of its limits right now ({@link OllamaUsageLimits#usage}).
 *
 * @param requestsRemaining requests left in the bucket, or null when no request limit is configured
 * @param tokensRemaining model tokens left, negative after a call overran the quota, or null when
 *     no token quota is configured
 * @param streamsInFlight calls the caller has in flight (0 when no in-flight cap is configured)
 */
public record CallerUsage(@Nullable Long requestsRemaining, @Nullable Long tokensRemaining, int streamsInFlight) {}
