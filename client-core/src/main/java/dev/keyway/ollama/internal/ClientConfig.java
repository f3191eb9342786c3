package dev.keyway.ollama.internal;

import dev.keyway.ollama.OllamaCallListener;
import dev.keyway.ollama.OllamaCallObserver;
import io.github.resilience4j.retry.Retry;
import java.time.Duration;
import java.util.concurrent.Executor;
import java.util.function.Supplier;
import javax.net.ssl.SSLSocketFactory;
import javax.net.ssl.X509TrustManager;
import okhttp3.HttpUrl;
import okhttp3.OkHttpClient;
import org.jspecify.annotations.Nullable;

/**
 * Everything {@code OllamaClient.Builder} collected, handed to the internal client in one piece.
 * {@code credentialValue} yields the full header value and validates it on every call.
 */
public record ClientConfig(
    HttpUrl baseUrl,
    @Nullable String credentialHeader,
    @Nullable Supplier<String> credentialValue,
    Duration connectTimeout,
    Duration readTimeout,
    @Nullable Duration callTimeout,
    int maxRetries,
    Duration initialBackoff,
    Duration maxBackoff,
    @Nullable Retry retry,
    boolean requireHttps,
    @Nullable SSLSocketFactory sslSocketFactory,
    @Nullable X509TrustManager trustManager,
    @Nullable OkHttpClient okHttpClient,
    @Nullable Executor executor,
    @Nullable OllamaCallListener listener,
    long maxAnswerSize,
    @Nullable OllamaCallObserver observer) {

  @Override
  public String toString() {
    // The record's default toString is fine except that it must never reach the secret supplier.
    return "ClientConfig{baseUrl=" + baseUrl + ", credentialHeader=" + credentialHeader + "}";
  }
}
