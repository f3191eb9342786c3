package dev.keyway.ollama.spring;

import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * Configuration of the auto-configured {@link dev.keyway.ollama.OllamaClient}, under
 * {@code ollama.*}, named so that Ollama's own environment variables bind without mapping:
 * {@code OLLAMA_HOST} → {@code ollama.host}, {@code OLLAMA_API_KEY} → {@code ollama.api-key},
 * {@code OLLAMA_API_KEY_HEADER} → {@code ollama.api-key-header}.
 */
@ConfigurationProperties("ollama")
public class OllamaProperties {

  /**
   * Base URL of Ollama or of the proxy in front of it, for example https://ollama.example.com or
   * https://host/ollama (a path prefix is kept). Takes precedence over ollama.host.
   */
  private String baseUrl = "";

  /**
   * Ollama address written as OLLAMA_HOST is (host, host:port, scheme://host:port/path; bare
   * ollama.com means https://ollama.com). Used when base-url is empty; empty means
   * http://127.0.0.1:11434.
   */
  private String host = "";

  /** Secret sent with every request to Ollama's origin; never logged. Empty means none. */
  private String apiKey = "";

  /**
   * Header that carries api-key as is, for example X-API-Key. Empty means
   * "Authorization: Bearer <api-key>".
   */
  private String apiKeyHeader = "";

  /** Time allowed to open a connection. */
  private Duration connectTimeout = Duration.ofSeconds(10);

  /**
   * Longest silence allowed between two reads, including the wait for the first token while a
   * model loads.
   */
  private Duration readTimeout = Duration.ofMinutes(10);

  /** Limit on a whole call including its stream. Unset means none. */
  private Duration callTimeout;

  /** Whether to refuse sending the key over plain http to a host that is not loopback. */
  private boolean requireHttps;

  private final Retry retry = new Retry();

  private final Ssl ssl = new Ssl();

  private final Health health = new Health();

  public String getBaseUrl() {
    return baseUrl;
  }

  public void setBaseUrl(String baseUrl) {
    this.baseUrl = baseUrl;
  }

  public String getHost() {
    return host;
  }

  public void setHost(String host) {
    this.host = host;
  }

  public String getApiKey() {
    return apiKey;
  }

  public void setApiKey(String apiKey) {
    this.apiKey = apiKey;
  }

  public String getApiKeyHeader() {
    return apiKeyHeader;
  }

  public void setApiKeyHeader(String apiKeyHeader) {
    this.apiKeyHeader = apiKeyHeader;
  }

  public Duration getConnectTimeout() {
    return connectTimeout;
  }

  public void setConnectTimeout(Duration connectTimeout) {
    this.connectTimeout = connectTimeout;
  }

  public Duration getReadTimeout() {
    return readTimeout;
  }

  public void setReadTimeout(Duration readTimeout) {
    this.readTimeout = readTimeout;
  }

  public Duration getCallTimeout() {
    return callTimeout;
  }

  public void setCallTimeout(Duration callTimeout) {
    this.callTimeout = callTimeout;
  }

  public boolean isRequireHttps() {
    return requireHttps;
  }

  public void setRequireHttps(boolean requireHttps) {
    this.requireHttps = requireHttps;
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
        + apiKeyHeader + "}";
  }

  /** Retry settings. */
  public static class Retry {
    /** Retries after the first attempt; 0 disables retrying. */
    private int maxRetries = 2;

    /** Wait before the first retry; doubles each time, with jitter. */
    private Duration initialBackoff = Duration.ofMillis(500);

    /** Longest wait between attempts, and the longest Retry-After honoured. */
    private Duration maxBackoff = Duration.ofSeconds(30);

    public int getMaxRetries() {
      return maxRetries;
    }

    public void setMaxRetries(int maxRetries) {
      this.maxRetries = maxRetries;
    }

    public Duration getInitialBackoff() {
      return initialBackoff;
    }

    public void setInitialBackoff(Duration initialBackoff) {
      this.initialBackoff = initialBackoff;
    }

    public Duration getMaxBackoff() {
      return maxBackoff;
    }

    public void setMaxBackoff(Duration maxBackoff) {
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
    private String bundle;

    public String getBundle() {
      return bundle;
    }

    public void setBundle(String bundle) {
      this.bundle = bundle;
    }
  }
}
