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
}
