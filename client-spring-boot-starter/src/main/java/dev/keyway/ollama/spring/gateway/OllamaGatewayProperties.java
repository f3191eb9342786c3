package dev.keyway.ollama.spring.gateway;

import java.util.ArrayList;
import java.util.List;
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

  /** Cap on options.num_predict; a missing, unlimited (-1) or larger value becomes the cap. */
  private Integer maxNumPredict;

  /** Largest request body accepted; larger ones get 413 without being read whole. */
  private DataSize maxRequestSize = DataSize.ofMegabytes(1);

  /**
   * Origins (scheme://host[:port]) whose pages may call the gateway from a browser, with
   * credentials (CORS). Requests with any other Origin header are refused with 403, except
   * same-origin ones; empty allows only those and sends no CORS headers. When set, the starter
   * also contributes the CORS configuration Spring Security uses for the gateway's path.
   */
  private List<String> allowedOrigins = new ArrayList<>();

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

  public Integer getMaxNumPredict() {
    return maxNumPredict;
  }

  public void setMaxNumPredict(Integer maxNumPredict) {
    this.maxNumPredict = maxNumPredict;
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
}
