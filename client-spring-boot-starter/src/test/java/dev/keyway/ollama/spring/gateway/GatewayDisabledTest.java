package dev.keyway.ollama.spring.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import dev.keyway.ollama.spring.OllamaAutoConfiguration;
import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.runner.WebApplicationContextRunner;

/** Off unless asked for. */
class GatewayDisabledTest {
  final WebApplicationContextRunner runner = new WebApplicationContextRunner()
      .withConfiguration(AutoConfigurations.of(OllamaAutoConfiguration.class, OllamaGatewayAutoConfiguration.class));

  @Test
  void absentByDefault() {
    runner.run(context -> assertThat(context).doesNotHaveBean("ollamaGateway"));
  }

  @Test
  void presentWhenEnabled() {
    runner.withPropertyValues("ollama.gateway.enabled=true")
        .run(context -> assertThat(context).hasBean("ollamaGateway"));
  }
}
