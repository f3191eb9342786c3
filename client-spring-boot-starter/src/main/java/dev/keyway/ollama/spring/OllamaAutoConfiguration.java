package dev.keyway.ollama.spring;

import dev.keyway.ollama.Credential;
import dev.keyway.ollama.OllamaClient;
import java.time.Duration;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.ssl.SslBundle;
import org.springframework.boot.ssl.SslBundles;
import org.springframework.context.annotation.Bean;

/**
 * Auto-configures a shared {@link OllamaClient} from {@code ollama.*}. The key is attached to the
 * client's own OkHttp instance only. The client is closed with the application context.
 */
@AutoConfiguration
@ConditionalOnClass(OllamaClient.class)
@EnableConfigurationProperties(OllamaProperties.class)
public class OllamaAutoConfiguration {

  @Bean(destroyMethod = "close")
  @ConditionalOnMissingBean
  public OllamaClient ollamaClient(
      OllamaProperties properties,
      ObjectProvider<OllamaClientCustomizer> customizers,
      ObjectProvider<SslBundles> sslBundles) {
    OllamaClient.Builder builder = OllamaClient.builder();
    applyProperties(properties, builder);
    String bundleName = properties.getSsl().getBundle();
    if (bundleName != null && !bundleName.isBlank()) {
      SslBundles bundles = sslBundles.getIfAvailable();
      if (bundles == null) {
        throw new IllegalStateException("ollama.ssl.bundle is set but no SslBundles bean exists");
      }
      applyBundle(builder, bundles.getBundle(bundleName));
    }
    customizers.orderedStream().forEach(c -> c.customize(builder));
    return builder.build();
  }

  /**
   * Passes to {@code builder} only what the user set; an unset property leaves the builder's own
   * default in place, so the client's defaults are written once, in the client.
   */
  static void applyProperties(OllamaProperties properties, OllamaClient.Builder builder) {
    String baseUrl = properties.getBaseUrl();
    String host = properties.getHost();
    if (baseUrl != null && !baseUrl.isBlank()) {
      builder.baseUrl(baseUrl);
    } else if (host != null && !host.isBlank()) {
      builder.ollamaHost(host);
    }
    String key = properties.getApiKey();
    if (key != null && !key.isEmpty()) {
      String header = properties.getApiKeyHeader();
      builder.credential(header == null || header.isBlank()
          ? Credential.bearer(key) : Credential.header(header.trim(), key));
    }
    Duration connectTimeout = properties.getConnectTimeout();
    if (connectTimeout != null) {
      builder.connectTimeout(connectTimeout);
    }
    Duration readTimeout = properties.getReadTimeout();
    if (readTimeout != null) {
      builder.readTimeout(readTimeout);
    }
    Duration callTimeout = properties.getCallTimeout();
    if (callTimeout != null) {
      builder.callTimeout(callTimeout);
    }
    OllamaProperties.Retry retry = properties.getRetry();
    Integer maxRetries = retry.getMaxRetries();
    if (maxRetries != null) {
      builder.maxRetries(maxRetries);
    }
    Duration initialBackoff = retry.getInitialBackoff();
    Duration maxBackoff = retry.getMaxBackoff();
    if (initialBackoff != null || maxBackoff != null) {
      // The builder takes the pair at once: the one not set keeps the client's default.
      builder.retryBackoff(
          initialBackoff != null ? initialBackoff : OllamaClient.DEFAULT_INITIAL_BACKOFF,
          maxBackoff != null ? maxBackoff : OllamaClient.DEFAULT_MAX_BACKOFF);
    }
    Boolean requireHttps = properties.getRequireHttps();
    if (requireHttps != null) {
      builder.requireHttps(requireHttps);
    }
  }

  private static void applyBundle(OllamaClient.Builder builder, SslBundle bundle) {
    SSLContext context = bundle.createSslContext();
    X509TrustManager trustManager = null;
    for (TrustManager tm : bundle.getManagers().getTrustManagers()) {
      if (tm instanceof X509TrustManager x509) {
        trustManager = x509;
      }
    }
    if (trustManager == null) {
      throw new IllegalStateException("the SSL bundle named by ollama.ssl.bundle has no X.509 trust manager");
    }
    builder.sslSocketFactory(context.getSocketFactory(), trustManager);
  }
}
