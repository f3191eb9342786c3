package dev.keyway.ollama.internal;

import java.io.IOException;
import java.util.function.Supplier;
import okhttp3.HttpUrl;
import okhttp3.Interceptor;
import okhttp3.Request;
import okhttp3.Response;

/**
 * Adds the credential to requests for the configured origin, and strips it from every other.
 *
 * <p>A network interceptor on purpose: it runs again for every redirect hop. OkHttp copies headers
 * onto a redirected request and drops only {@code Authorization} when the host changes, so a
 * custom header such as {@code X-API-Key} would otherwise follow a redirect to any host.
 */
final class CredentialInterceptor implements Interceptor {
  private final HttpUrl origin;
  private final String header;
  private final Supplier<String> value;

  CredentialInterceptor(HttpUrl origin, String header, Supplier<String> value) {
    this.origin = origin;
    this.header = header;
    this.value = value;
  }

  @Override
  public Response intercept(Chain chain) throws IOException {
    Request request = chain.request();
    Request.Builder out = request.newBuilder();
    if (sameOrigin(origin, request.url())) {
      out.header(header, value.get());
    } else {
      out.removeHeader(header).removeHeader("Authorization");
    }
    return chain.proceed(out.build());
  }

  /** Whether {@code url} has {@code origin}'s scheme, host and port: where a credential may go. */
  static boolean sameOrigin(HttpUrl origin, HttpUrl url) {
    return url.scheme().equals(origin.scheme())
        && url.host().equalsIgnoreCase(origin.host())
        && url.port() == origin.port();
  }
}
