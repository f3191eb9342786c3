package dev.keyway.ollama.spring;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;
import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * Configuration of the auto-configured {@link dev.keyway.ollama.OllamaClient}, under
 * {@code ollama.*}, named so that Ollama's own environment variables bind without mapping:
 * {@code OLLAMA_HOST} → {@code ollama.host}, {@code OLLAMA_API_KEY} → {@code ollama.api-key},
 * {@code OLLAMA_API_KEY_HEADER} → {@code ollama.api-key-header}.
 *
 * <p>A property left unset is {@code null} here and is not passed to the client's builder, so
 * the client gets {@link dev.keyway.ollama.OllamaClient.Builder}'s own default: the defaults
 * are written once, in the client. The configuration metadata
 * ({@code additional-spring-configuration-metadata.json}) documents them for IDEs.
 */
@ConfigurationProperties("ollama")
public class OllamaProperties {

  /**
   * Base URL of Ollama or of the proxy in front of it, for example https://ollama.example.com or
   * https://host/ollama (a path prefix is kept). Takes precedence over ollama.host.
   */
  private @Nullable String baseUrl;

  /**
   * Ollama address written as OLLAMA_HOST is (host, host:port, scheme://host:port/path; bare
   * ollama.com means https://ollama.com). Used when base-url is unset or empty; unset or
   * empty means http://127.0.0.1:11434.
   */
  private @Nullable String host;

  /** Secret sent with every request to Ollama's origin; never logged. Unset or empty means none. */
  private @Nullable String apiKey;

  /**
   * Header that carries api-key as is, for example X-API-Key. Unset or empty means
   * "Authorization: Bearer <api-key>".
   */
  private @Nullable String apiKeyHeader;

  /** Time allowed to open a connection. */
  private @Nullable Duration connectTimeout;

  /**
   * Longest silence allowed between two reads, including the wait for the first token while a
   * model loads.
   */
  private @Nullable Duration readTimeout;

  /** Limit on a whole call including its stream. Unset means none. */
  private @Nullable Duration callTimeout;

  /** Whether to refuse sending the key over plain http to a host that is not loopback. */
  private @Nullable Boolean requireHttps;

  /**
   * Several Ollama servers behind one routing client ({@link dev.keyway.ollama.OllamaServers}),
   * each with its own base URL and key. When set, ollama.base-url must not be; the timeouts,
   * retry, require-https and ssl settings above apply to every server.
   */
  private final List<Server> servers = new ArrayList<>();

  private final Routing routing = new Routing();

  private final Retry retry = new Retry();

  private final Ssl ssl = new Ssl();

  private final Health health = new Health();

  public @Nullable String getBaseUrl() {
    return baseUrl;
  }

  public void setBaseUrl(@Nullable String baseUrl) {
    this.baseUrl = baseUrl;
  }

  public @Nullable String getHost() {
    return host;
  }

  public void setHost(@Nullable String host) {
    this.host = host;
  }

  public @Nullable String getApiKey() {
    return apiKey;
  }

  public void setApiKey(@Nullable String apiKey) {
    this.apiKey = apiKey;
  }

  public @Nullable String getApiKeyHeader() {
    return apiKeyHeader;
  }

  public void setApiKeyHeader(@Nullable String apiKeyHeader) {
    this.apiKeyHeader = apiKeyHeader;
  }

  public @Nullable Duration getConnectTimeout() {
    return connectTimeout;
  }

  public void setConnectTimeout(@Nullable Duration connectTimeout) {
    this.connectTimeout = connectTimeout;
  }

  public @Nullable Duration getReadTimeout() {
    return readTimeout;
  }

  public void setReadTimeout(@Nullable Duration readTimeout) {
    this.readTimeout = readTimeout;
  }

  public @Nullable Duration getCallTimeout() {
    return callTimeout;
  }

  public void setCallTimeout(@Nullable Duration callTimeout) {
    this.callTimeout = callTimeout;
  }

  public @Nullable Boolean getRequireHttps() {
    return requireHttps;
  }

  public void setRequireHttps(@Nullable Boolean requireHttps) {
    this.requireHttps = requireHttps;
  }

  public List<Server> getServers() {
    return servers;
  }

  public Routing getRouting() {
    return routing;
  }

  public Retry getRetry() {
    return retry;
  }

  public Ssl getSsl() {
    return ssl;
  }

  public Health getHealth() {
    return health;
  }

  @Override
  public String toString() {
    return "OllamaProperties{baseUrl=" + baseUrl + ", host=" + host + ", apiKey="
        + (apiKey == null || apiKey.isEmpty() ? "none" : "[redacted]") + ", apiKeyHeader="
        + apiKeyHeader + ", servers=" + servers + "}";
  }

  /** One of several Ollama servers, under {@code ollama.servers[i].*}. */
  public static class Server {
    /**
     * Name of this server, unique among them: shown in health, metrics tags and errors, and the
     * argument of OllamaServers.server(name). Never a secret.
     */
    private @Nullable String name;

    /** Base URL of this Ollama server or of the proxy in front of it. */
    private @Nullable String baseUrl;

    /** Secret sent with every request to this server's origin only; never logged. */
    private @Nullable String apiKey;

    /**
     * Header that carries api-key as is, for example X-API-Key. Unset or empty means
     * "Authorization: Bearer <api-key>".
     */
    private @Nullable String apiKeyHeader;

    /** Most calls in flight on this server; beyond it calls go to another server. Unset means no limit. */
    private @Nullable Integer maxConcurrent;

    public @Nullable String getName() {
      return name;
    }

    public void setName(@Nullable String name) {
      this.name = name;
    }

    public @Nullable String getBaseUrl() {
      return baseUrl;
    }

    public void setBaseUrl(@Nullable String baseUrl) {
      this.baseUrl = baseUrl;
    }

    public @Nullable String getApiKey() {
      return apiKey;
    }

    public void setApiKey(@Nullable String apiKey) {
      this.apiKey = apiKey;
    }

    public @Nullable String getApiKeyHeader() {
      return apiKeyHeader;
    }

    public void setApiKeyHeader(@Nullable String apiKeyHeader) {
      this.apiKeyHeader = apiKeyHeader;
    }

    public @Nullable Integer getMaxConcurrent() {
      return maxConcurrent;
    }

    public void setMaxConcurrent(@Nullable Integer maxConcurrent) {
      this.maxConcurrent = maxConcurrent;
    }

    @Override
    public String toString() {
      return "Server{name=" + name + ", baseUrl=" + baseUrl + ", apiKey="
          + (apiKey == null || apiKey.isEmpty() ? "none" : "[redacted]") + ", apiKeyHeader="
          + apiKeyHeader + ", maxConcurrent=" + maxConcurrent + "}";
    }
  }

  /** How calls are routed among ollama.servers; unset options keep OllamaServers' defaults. */
  public static class Routing {
    /** How often each server's /api/ps (loaded models) is polled. */
    private @Nullable Duration psInterval;

    /** How often each server's /api/tags (installed models) is polled. */
    private @Nullable Duration tagsInterval;

    /** Limit on each poll, connecting included; one attempt. */
    private @Nullable Duration pollTimeout;

    /** How long a server's open circuit breaker keeps calls away before one probe call. */
    private @Nullable Duration breakerOpenDuration;

    /** Attempts per call across servers, the first included. */
    private @Nullable Integer maxAttempts;

    /**
     * How long a call waits for a slot when every server it could use is at its max-concurrent,
     * before it fails; zero fails at once.
     */
    private @Nullable Duration maxConcurrentWait;

    public @Nullable Duration getMaxConcurrentWait() {
      return maxConcurrentWait;
    }

    public void setMaxConcurrentWait(@Nullable Duration maxConcurrentWait) {
      this.maxConcurrentWait = maxConcurrentWait;
    }

    public @Nullable Duration getPsInterval() {
      return psInterval;
    }

    public void setPsInterval(@Nullable Duration psInterval) {
      this.psInterval = psInterval;
    }

    public @Nullable Duration getTagsInterval() {
      return tagsInterval;
    }

    public void setTagsInterval(@Nullable Duration tagsInterval) {
      this.tagsInterval = tagsInterval;
    }

    public @Nullable Duration getPollTimeout() {
      return pollTimeout;
    }

    public void setPollTimeout(@Nullable Duration pollTimeout) {
      this.pollTimeout = pollTimeout;
    }

    public @Nullable Duration getBreakerOpenDuration() {
      return breakerOpenDuration;
    }

    public void setBreakerOpenDuration(@Nullable Duration breakerOpenDuration) {
      this.breakerOpenDuration = breakerOpenDuration;
    }

    public @Nullable Integer getMaxAttempts() {
      return maxAttempts;
    }

    public void setMaxAttempts(@Nullable Integer maxAttempts) {
      this.maxAttempts = maxAttempts;
    }
  }

  /** Retry settings. */
  public static class Retry {
    /** Retries after the first attempt; 0 disables retrying. */
    private @Nullable Integer maxRetries;

    /** Wait before the first retry; doubles each time, with jitter. */
    private @Nullable Duration initialBackoff;

    /** Longest wait between attempts, and the longest Retry-After honoured. */
    private @Nullable Duration maxBackoff;

    public @Nullable Integer getMaxRetries() {
      return maxRetries;
    }

    public void setMaxRetries(@Nullable Integer maxRetries) {
      this.maxRetries = maxRetries;
    }

    public @Nullable Duration getInitialBackoff() {
      return initialBackoff;
    }

    public void setInitialBackoff(@Nullable Duration initialBackoff) {
      this.initialBackoff = initialBackoff;
    }

    public @Nullable Duration getMaxBackoff() {
      return maxBackoff;
    }

    public void setMaxBackoff(@Nullable Duration maxBackoff) {
      this.maxBackoff = maxBackoff;
    }
  }

  /** Health indicator settings. */
  public static class Health {
    /**
     * Longest a health check waits for Ollama's answer, connecting included; one attempt, no
     * retries, whatever the read timeout. Past it, Ollama is reported down.
     */
    private Duration timeout = Duration.ofSeconds(3);

    public Duration getTimeout() {
      return timeout;
    }

    public void setTimeout(Duration timeout) {
      this.timeout = timeout;
    }
  }

  /** TLS settings. */
  public static class Ssl {
    /**
     * Name of a Spring Boot SSL bundle (spring.ssl.bundle.*) whose trust material verifies
     * Ollama's certificate, for example a private CA such as Caddy's tls internal root.
     */
    private @Nullable String bundle;

    public @Nullable String getBundle() {
      return bundle;
    }

    public void setBundle(@Nullable String bundle) {
      this.bundle = bundle;
    }
  }
}
