package dev.keyway.ollama.internal;

import dev.keyway.ollama.OllamaCallObserver;
import java.io.IOException;
import okhttp3.HttpUrl;
import okhttp3.Interceptor;
import okhttp3.Request;
import okhttp3.Response;
import org.jspecify.annotations.Nullable;

/**
 * Adds the headers an {@link OllamaCallObserver} contributed (a {@code traceparent}, say) to
 * requests for the configured origin only.
 *
 * <p>A network interceptor, like {@link CredentialInterceptor}: it runs for every redirect hop, and
 * the headers ride on the request as a tag rather than as headers, so OkHttp has nothing to copy
 * onto a redirect to another origin. Names and values were checked when the observer set them.
 */
final class ObserverHeadersInterceptor implements Interceptor {
  private final HttpUrl origin;
  private final @Nullable String credentialHeader;

  ObserverHeadersInterceptor(HttpUrl origin, @Nullable String credentialHeader) {
    this.origin = origin;
    this.credentialHeader = credentialHeader;
  }

  @Override
  public Response intercept(Chain chain) throws IOException {
    Request request = chain.request();
    OllamaCallObserver.UpstreamHeaders headers = request.tag(OllamaCallObserver.UpstreamHeaders.class);
    if (headers == null || !CredentialInterceptor.sameOrigin(origin, request.url())) {
      return chain.proceed(request);
    }
    Request.Builder out = request.newBuilder();
    headers.forEach((name, value) -> {
      if (credentialHeader == null || !credentialHeader.equalsIgnoreCase(name)) {
        out.header(name, value);
      }
    });
    return chain.proceed(out.build());
  }
}
