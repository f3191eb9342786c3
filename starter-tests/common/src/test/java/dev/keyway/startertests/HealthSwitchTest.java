package dev.keyway.startertests;

import static org.assertj.core.api.Assertions.assertThat;

import dev.keyway.ollama.OllamaClient;
import dev.keyway.ollama.spring.OllamaAutoConfiguration;
import dev.keyway.ollama.spring.actuate.OllamaHealthAutoConfiguration;
import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

/**
 * Boot's health switches turn the {@code ollama} indicator off on this module's Boot line: each
 * line has its own {@code @ConditionalOnEnabledHealthIndicator}, in its own package.
 */
class HealthSwitchTest {
  final ApplicationContextRunner runner = new ApplicationContextRunner()
      .withConfiguration(AutoConfigurations.of(OllamaAutoConfiguration.class, OllamaHealthAutoConfiguration.class))
      .withPropertyValues("ollama.base-url=http://127.0.0.1:1");

  @Test
  void indicatorIsThereByDefault() {
    runner.run(context -> assertThat(context).hasBean("ollamaHealthIndicator"));
  }

  @Test
  void ollamaEnabledFalseTurnsItOff() {
    runner.withPropertyValues("management.health.ollama.enabled=false").run(context -> {
      assertThat(context).hasSingleBean(OllamaClient.class);
      assertThat(context).doesNotHaveBean("ollamaHealthIndicator");
    });
  }

  @Test
  void defaultsEnabledFalseTurnsItOffUnlessOllamaIsEnabledByName() {
    runner.withPropertyValues("management.health.defaults.enabled=false").run(context -> {
      assertThat(context).hasSingleBean(OllamaClient.class);
      assertThat(context).doesNotHaveBean("ollamaHealthIndicator");
    });
    runner.withPropertyValues("management.health.defaults.enabled=false", "management.health.ollama.enabled=true")
        .run(context -> assertThat(context).hasBean("ollamaHealthIndicator"));
  }
}
