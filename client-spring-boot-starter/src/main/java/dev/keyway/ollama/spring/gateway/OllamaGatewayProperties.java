package dev.keyway.ollama.spring.gateway;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.util.unit.DataSize;

/** The opt-in key-holding gateway, under {@code ollama.gateway.*}. */
@ConfigurationProperties("ollama.gateway")
public class OllamaGatewayProperties {

  /**
   * Whether to serve Ollama's wire protocol under path, adding the server-side credential
   * upstream. Protect it with the application's own security rules: it is an open door to a GPU.
   */
  private boolean enabled;

  /** Path prefix the gateway serves, for example /ollama for http://app/ollama/api/chat. */
  private String path = "/ollama";

  /**
   * Models browsers may use, for example llama3.2 or qwen3:8b (no tag means latest). Empty allows
   * every model.
   */
  private List<String> allowedModels = new ArrayList<>();

  /**
   * Cap on options.num_predict. A missing value, and any number Ollama would not read as 1 to the
   * cap (0, -1, 0.5, 1e9 ...), becomes the cap. Empty leaves num_predict as the browser sent it.
   */
  private @Nullable Integer maxNumPredict;

  /**
   * Top-level request fields to let through beyond the default set (model, messages, prompt,
   * suffix, system, images, tools, format, think, options, stream, logprobs, top_logprobs), for
   * example raw, template, context, truncate or shift. Other fields Ollama reads are refused with
   * a 400 naming them; fields Ollama does not read are dropped.
   */
  private List<String> allowedFields = new ArrayList<>();

  /**
   * Options to let through beyond the sampling ones (temperature, top_p, top_k, min_p, typical_p,
   * seed, stop, repeat_penalty, repeat_last_n, presence_penalty, frequency_penalty, num_predict),
   * for example num_ctx. Options that control loading or memory (num_ctx, num_gpu, num_batch,
   * use_mmap, num_thread ...) are refused with a 400 naming them unless listed here.
   */
  private List<String> allowedOptions = new ArrayList<>();

  /**
   * Longest keep_alive a browser may ask for; longer values and "forever" (negative) become this.
   * A negative value passes any keep_alive unchanged, including 0 (unload) and -1 (pin).
   */
  private Duration maxKeepAlive = Duration.ofMinutes(5);

  /**
   * Shortest keep_alive a browser may ask for; shorter values and 0 (unload now) become this, so
   * a browser cannot evict a model that others are using.
   */
  private Duration minKeepAlive = Duration.ofMinutes(1);

  /**
   * Whether /api/show answers in full (modelfile, template, system prompt, parameters, licence,
   * tensors) instead of only what a model picker needs (details, capabilities, context length,
   * modified_at).
   */
  private boolean fullShow;

  /** Largest request body accepted; larger ones get 413 without being read whole. */
  private DataSize maxRequestSize = DataSize.ofMegabytes(1);

  /**
   * Origins (scheme://host[:port]) whose pages may call the gateway from a browser, with
   * credentials (CORS). Requests with any other Origin header are refused with 403, except
   * same-origin ones; empty allows only those and sends no CORS headers. When set, the starter
   * also contributes the CORS configuration Spring Security uses for the gateway's path.
   */
  private List<String> allowedOrigins = new ArrayList<>();

  /**
   * Key for the hash that stands for a caller in usage-limit store keys, audit events and logs
   * (HMAC-SHA256), at least 32 characters, the same on every instance that shares a store. Empty
   * uses a plain SHA-256 of the caller id, which anyone can recompute: a client address's hash is
   * reversed by trying every address. Setting or changing it starts every caller's limits afresh.
   */
  private @Nullable String callerHashKey;

  public boolean isEnabled() {
    return enabled;
  }

  public void setEnabled(boolean enabled) {
    this.enabled = enabled;
  }

  public String getPath() {
    return path;
  }

  public void setPath(String path) {
    this.path = path;
  }

  public List<String> getAllowedModels() {
    return allowedModels;
  }

  public void setAllowedModels(List<String> allowedModels) {
    this.allowedModels = allowedModels;
  }

  public @Nullable Integer getMaxNumPredict() {
    return maxNumPredict;
  }

  public void setMaxNumPredict(@Nullable Integer maxNumPredict) {
    this.maxNumPredict = maxNumPredict;
  }

  public List<String> getAllowedFields() {
    return allowedFields;
  }

  public void setAllowedFields(List<String> allowedFields) {
    this.allowedFields = allowedFields;
  }

  public List<String> getAllowedOptions() {
    return allowedOptions;
  }

  public void setAllowedOptions(List<String> allowedOptions) {
    this.allowedOptions = allowedOptions;
  }

  public Duration getMaxKeepAlive() {
    return maxKeepAlive;
  }

  public void setMaxKeepAlive(Duration maxKeepAlive) {
    this.maxKeepAlive = maxKeepAlive;
  }

  public Duration getMinKeepAlive() {
    return minKeepAlive;
  }

  public void setMinKeepAlive(Duration minKeepAlive) {
    this.minKeepAlive = minKeepAlive;
  }

  public boolean isFullShow() {
    return fullShow;
  }

  public void setFullShow(boolean fullShow) {
    this.fullShow = fullShow;
  }

  public DataSize getMaxRequestSize() {
    return maxRequestSize;
  }

  public void setMaxRequestSize(DataSize maxRequestSize) {
    this.maxRequestSize = maxRequestSize;
  }

  public List<String> getAllowedOrigins() {
    return allowedOrigins;
  }

  public void setAllowedOrigins(List<String> allowedOrigins) {
    this.allowedOrigins = allowedOrigins;
  }

  public @Nullable String getCallerHashKey() {
    return callerHashKey;
  }

  public void setCallerHashKey(@Nullable String callerHashKey) {
    this.callerHashKey = callerHashKey;
  }
}
