package dev.keyway.ollama.spring;

import dev.keyway.ollama.OllamaClient;

/**
 * Adjusts the auto-configured client's builder before it is built. Beans of this type are applied
 * in {@link org.springframework.core.annotation.Order} order, after the {@code ollama.*} properties.
 */
@FunctionalInterface
public interface OllamaClientCustomizer {

  /** Customizes the builder. */
  void customize(OllamaClient.Builder builder);

  /**
   * Customizes the builder of one server's client when {@code ollama.servers} is set: called once
   * per server, with its configured name (never a secret), in place of {@link #customize}. By
   * default it calls {@link #customize}, so a customizer written for one client applies to every
   * server's.
   */
  default void customize(String server, OllamaClient.Builder builder) {
    customize(builder);
  }
}
