package dev.keyway.ollama.spring.actuate;

import dev.keyway.ollama.OllamaClient;
import dev.keyway.ollama.spring.OllamaAutoConfiguration;
import dev.keyway.ollama.spring.OllamaProperties;
import java.time.Duration;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * Health indicator {@code ollama} when Actuator is present, on Spring Boot 3 or 4 (whose health
 * APIs differ). Follows Boot's own switches: off with
 * {@code management.health.ollama.enabled=false}, and with
 * {@code management.health.defaults.enabled=false} unless
 * {@code management.health.ollama.enabled=true}.
 *
 * <p>Each Boot line's {@code @ConditionalOnEnabledHealthIndicator} lives in its own package, so
 * each nested configuration carries its own line's annotation next to a
 * {@link ConditionalOnClass} on that line's {@code HealthIndicator}. On the other line the
 * annotation's class is absent: Spring ignores an annotation it cannot load, and the class
 * condition skips the configuration.
 */
@AutoConfiguration(after = OllamaAutoConfiguration.class)
@ConditionalOnBean(OllamaClient.class)
public class OllamaHealthAutoConfiguration {

  @Configuration(proxyBeanMethods = false)
  @ConditionalOnClass(name = "org.springframework.boot.health.contributor.HealthIndicator")
  @org.springframework.boot.health.autoconfigure.contributor.ConditionalOnEnabledHealthIndicator("ollama")
  static class Boot4 {
    @Bean
    @ConditionalOnMissingBean(name = "ollamaHealthIndicator")
    OllamaBoot4HealthIndicator ollamaHealthIndicator(
        OllamaClient client, ObjectProvider<OllamaProperties> properties) {
      return new OllamaBoot4HealthIndicator(client, healthTimeout(properties));
    }
  }

  @Configuration(proxyBeanMethods = false)
  @ConditionalOnClass(name = "org.springframework.boot.actuate.health.HealthIndicator")
  @org.springframework.boot.actuate.autoconfigure.health.ConditionalOnEnabledHealthIndicator("ollama")
  static class Boot3 {
    @Bean
    @ConditionalOnMissingBean(name = "ollamaHealthIndicator")
    OllamaHealthIndicator ollamaHealthIndicator(
        OllamaClient client, ObjectProvider<OllamaProperties> properties) {
      return new OllamaHealthIndicator(client, healthTimeout(properties));
    }
  }

  /** {@code ollama.health.timeout}, or its default when the properties are not bound. */
  static Duration healthTimeout(ObjectProvider<OllamaProperties> properties) {
    OllamaProperties p = properties.getIfAvailable();
    return p == null ? new OllamaProperties.Health().getTimeout() : p.getHealth().getTimeout();
  }
}
