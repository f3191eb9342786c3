package dev.keyway.ollama.spring;

import dev.keyway.ollama.Credential;
import dev.keyway.ollama.OllamaClient;
import dev.keyway.ollama.OllamaServers;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;
import org.jspecify.annotations.Nullable;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionOutcome;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.SpringBootCondition;
import org.springframework.boot.context.properties.bind.Bindable;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.ssl.SslBundle;
import org.springframework.boot.ssl.SslBundles;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.ConditionContext;
import org.springframework.context.annotation.Conditional;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.type.AnnotatedTypeMetadata;

/**
 * Auto-configures a shared {@link OllamaClient} from {@code ollama.*}. The key is attached to the
 * client's own OkHttp instance only. The client is closed with the application context.
 *
 * <p>With {@code ollama.servers[i].*} the bean is an {@link OllamaServers} (injectable as either
 * type) over one client per server, each built as the single client is (timeouts, retry,
 * require-https, ssl bundle, every {@link OllamaClientCustomizer}) with its own base URL and key.
 */
@AutoConfiguration
@ConditionalOnClass(OllamaClient.class)
@EnableConfigurationProperties(OllamaProperties.class)
public class OllamaAutoConfiguration {

  @Bean(destroyMethod = "close")
  @ConditionalOnMissingBean
  @Conditional(NoServers.class)
  public OllamaClient ollamaClient(
      OllamaProperties properties,
      ObjectProvider<OllamaClientCustomizer> customizers,
      ObjectProvider<SslBundles> sslBundles) {
    OllamaClient.Builder builder = OllamaClient.builder();
    applyProperties(properties, builder);
    applyBundle(properties, sslBundles, builder);
    customizers.orderedStream().forEach(c -> c.customize(builder));
    return builder.build();
  }

  /** The client over {@code ollama.servers}, when that list is set. */
  @Configuration(proxyBeanMethods = false)
  @Conditional(ServersConfigured.class)
  static class Servers {
    @Bean(name = "ollamaClient", destroyMethod = "close")
    @ConditionalOnMissingBean(OllamaClient.class)
    OllamaServers ollamaServers(
        OllamaProperties properties,
        ObjectProvider<OllamaClientCustomizer> customizers,
        ObjectProvider<SslBundles> sslBundles) {
      checkServers(properties);
      List<OllamaClientCustomizer> ordered = customizers.orderedStream().toList();
      OllamaServers.Builder builder = OllamaServers.builder();
      applyRouting(properties.getRouting(), builder);
      List<OllamaProperties.Server> servers = properties.getServers();
      for (int i = 0; i < servers.size(); i++) {
        OllamaProperties.Server server = servers.get(i);
        String name = Objects.requireNonNull(server.getName()).strip();
        String baseUrl = Objects.requireNonNull(server.getBaseUrl()).strip();
        Integer maxConcurrent = server.getMaxConcurrent();
        OllamaServers.Server entry;
        try {
          entry = OllamaServers.Server.of(name, baseUrl, credential(
              server.getApiKey(), server.getApiKeyHeader()));
          if (maxConcurrent != null) {
            entry = entry.maxConcurrent(maxConcurrent);
          }
        } catch (IllegalArgumentException e) {
          // Keyway's messages never contain the key.
          throw new InvalidServersException("ollama.servers[" + i + "] (" + name + "): " + e.getMessage());
        }
        builder.server(entry.configure(b -> {
          applyCommon(properties, b);
          applyBundle(properties, sslBundles, b);
          ordered.forEach(c -> c.customize(name, b));
        }));
      }
      try {
        return builder.build();
      } catch (IllegalArgumentException e) {
        throw new InvalidServersException("ollama.servers: " + e.getMessage());
      }
    }
  }

  /**
   * Fails with what to fix: a server without a name or base URL, a name used twice, or
   * {@code ollama.base-url} set as well.
   */
  static void checkServers(OllamaProperties properties) {
    String baseUrl = properties.getBaseUrl();
    if (baseUrl != null && !baseUrl.isBlank()) {
      throw new InvalidServersException("both ollama.base-url and ollama.servers are set: use"
          + " ollama.servers[i].base-url for every server and remove ollama.base-url");
    }
    Set<String> names = new HashSet<>();
    List<OllamaProperties.Server> servers = properties.getServers();
    for (int i = 0; i < servers.size(); i++) {
      OllamaProperties.Server server = servers.get(i);
      String name = server.getName();
      if (name == null || name.isBlank()) {
        throw new InvalidServersException("ollama.servers[" + i + "].name is missing: give every"
            + " server a unique name (it shows in health, metrics and errors)");
      }
      String url = server.getBaseUrl();
      if (url == null || url.isBlank()) {
        throw new InvalidServersException("ollama.servers[" + i + "].base-url is missing (server '"
            + name.strip() + "')");
      }
      if (!names.add(name.strip())) {
        throw new InvalidServersException("ollama.servers[" + i + "].name '" + name.strip()
            + "' is used by an earlier server: server names must be unique");
      }
    }
  }

  /** A header credential, Bearer when no header is named, none without a key. */
  static Credential credential(@Nullable String key, @Nullable String header) {
    if (key == null || key.isEmpty()) {
      return Credential.none();
    }
    return header == null || header.isBlank()
        ? Credential.bearer(key) : Credential.header(header.trim(), key);
  }

  /** Passes to {@code builder} only the routing options the user set. */
  static void applyRouting(OllamaProperties.Routing routing, OllamaServers.Builder builder) {
    Duration psInterval = routing.getPsInterval();
    if (psInterval != null) {
      builder.psInterval(psInterval);
    }
    Duration tagsInterval = routing.getTagsInterval();
    if (tagsInterval != null) {
      builder.tagsInterval(tagsInterval);
    }
    Duration pollTimeout = routing.getPollTimeout();
    if (pollTimeout != null) {
      builder.pollTimeout(pollTimeout);
    }
    Duration breakerOpenDuration = routing.getBreakerOpenDuration();
    if (breakerOpenDuration != null) {
      builder.breakerOpenDuration(breakerOpenDuration);
    }
    Integer maxAttempts = routing.getMaxAttempts();
    if (maxAttempts != null) {
      builder.maxAttempts(maxAttempts);
    }
    Duration maxConcurrentWait = routing.getMaxConcurrentWait();
    if (maxConcurrentWait != null) {
      builder.maxConcurrentWait(maxConcurrentWait);
    }
  }

  private static void applyBundle(OllamaProperties properties, ObjectProvider<SslBundles> sslBundles,
      OllamaClient.Builder builder) {
    String bundleName = properties.getSsl().getBundle();
    if (bundleName != null && !bundleName.isBlank()) {
      SslBundles bundles = sslBundles.getIfAvailable();
      if (bundles == null) {
        throw new IllegalStateException("ollama.ssl.bundle is set but no SslBundles bean exists");
      }
      applyBundle(builder, bundles.getBundle(bundleName));
    }
  }

  /** Whether {@code ollama.servers} binds to at least one entry. */
  static boolean serversConfigured(ConditionContext context) {
    return Binder.get(context.getEnvironment())
        .bind("ollama.servers", Bindable.listOf(OllamaProperties.Server.class))
        .map(list -> !list.isEmpty())
        .orElse(false);
  }

  static final class ServersConfigured extends SpringBootCondition {
    @Override
    public ConditionOutcome getMatchOutcome(ConditionContext context, AnnotatedTypeMetadata metadata) {
      return serversConfigured(context)
          ? ConditionOutcome.match("ollama.servers is set")
          : ConditionOutcome.noMatch("ollama.servers is not set");
    }
  }

  static final class NoServers extends SpringBootCondition {
    @Override
    public ConditionOutcome getMatchOutcome(ConditionContext context, AnnotatedTypeMetadata metadata) {
      return serversConfigured(context)
          ? ConditionOutcome.noMatch("ollama.servers is set")
          : ConditionOutcome.match("ollama.servers is not set");
    }
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
      builder.credential(credential(key, properties.getApiKeyHeader()));
    }
    applyCommon(properties, builder);
  }

  /** What every client gets, one server or several: timeouts, retry, require-https. */
  static void applyCommon(OllamaProperties properties, OllamaClient.Builder builder) {
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
