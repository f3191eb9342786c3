package dev.keyway.ollama.spring.gateway;

import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * Health component {@code ollamaLimits} when the gateway's usage limits are on and Actuator is
 * present, on Spring Boot 3 or 4: the limits store's state ({@code shared}, {@code local-fallback},
 * {@code down}, {@code local}), DOWN only when model calls are refused because the shared store
 * cannot answer ({@code store-failure=reject}). Follows Boot's switches: off with
 * {@code management.health.ollama-limits.enabled=false}, and with
 * {@code management.health.defaults.enabled=false} unless it is set to {@code true}.
 *
 * <p>As in the starter's {@code ollama} health auto-configuration, each Boot line's configuration
 * carries that line's {@code @ConditionalOnEnabledHealthIndicator} next to a class condition on
 * that line's {@code HealthIndicator}.
 */
@AutoConfiguration(after = OllamaLimitsAutoConfiguration.class)
@ConditionalOnBean(GatewayLimits.class)
public class OllamaLimitsHealthAutoConfiguration {

  @Configuration(proxyBeanMethods = false)
  @ConditionalOnClass(name = "org.springframework.boot.health.contributor.HealthIndicator")
  @org.springframework.boot.health.autoconfigure.contributor.ConditionalOnEnabledHealthIndicator("ollama-limits")
  static class Boot4 {
    @Bean
    @ConditionalOnMissingBean(name = "ollamaLimitsHealthIndicator")
    org.springframework.boot.health.contributor.HealthIndicator ollamaLimitsHealthIndicator(GatewayLimits limits) {
      return () -> {
        String state = limits.checkStore();
        return (GatewayLimits.DOWN.equals(state) ? org.springframework.boot.health.contributor.Health.down()
            : org.springframework.boot.health.contributor.Health.up()).withDetail("store", state).build();
      };
    }
  }

  @Configuration(proxyBeanMethods = false)
  @ConditionalOnClass(name = "org.springframework.boot.actuate.health.HealthIndicator")
  @org.springframework.boot.actuate.autoconfigure.health.ConditionalOnEnabledHealthIndicator("ollama-limits")
  static class Boot3 {
    @Bean
    @ConditionalOnMissingBean(name = "ollamaLimitsHealthIndicator")
    org.springframework.boot.actuate.health.HealthIndicator ollamaLimitsHealthIndicator(GatewayLimits limits) {
      return () -> {
        String state = limits.checkStore();
        return (GatewayLimits.DOWN.equals(state) ? org.springframework.boot.actuate.health.Health.down()
            : org.springframework.boot.actuate.health.Health.up()).withDetail("store", state).build();
      };
    }
  }
}
