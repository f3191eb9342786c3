package dev.keyway.ollama.spring.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import dev.keyway.ollama.OllamaCallEvent;
import dev.keyway.ollama.spring.OllamaAutoConfiguration;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.runner.WebApplicationContextRunner;
import org.springframework.boot.web.servlet.FilterRegistrationBean;

/** When {@code ollama.limits.routes} registers its filter and client listener, and what a call costs. */
class RouteLimitsAutoConfigurationTest {
  final WebApplicationContextRunner runner = new WebApplicationContextRunner()
      .withConfiguration(AutoConfigurations.of(OllamaAutoConfiguration.class, OllamaLimitsAutoConfiguration.class));

  @Test
  void routesWithLimitsOnRegisterTheFilterOnThosePatternsAfterSpringSecurity() {
    runner.withPropertyValues("ollama.limits.enabled=true", "ollama.limits.routes=/api/chat, /api/ai/*")
        .run(context -> {
          assertThat(context).hasNotFailed().hasBean("ollamaRouteLimits").hasBean("ollamaRouteLimitsCustomizer");
          FilterRegistrationBean<?> registration = context.getBean("ollamaRouteLimits", FilterRegistrationBean.class);
          assertThat(registration.getFilter()).isInstanceOf(RouteLimitsFilter.class);
          assertThat(registration.getUrlPatterns()).containsExactly("/api/chat", "/api/ai/*");
          assertThat(registration.getOrder()).isGreaterThan(-100);
        });
  }

  @Test
  void noRoutesNoFilter() {
    runner.withPropertyValues("ollama.limits.enabled=true")
        .run(context -> assertThat(context).hasNotFailed().hasSingleBean(GatewayLimits.class)
            .doesNotHaveBean("ollamaRouteLimits").doesNotHaveBean("ollamaRouteLimitsCustomizer"));
  }

  @Test
  void routesWithLimitsOffRegisterNothing() {
    runner.withPropertyValues("ollama.limits.routes=/api/chat")
        .run(context -> assertThat(context).hasNotFailed().doesNotHaveBean(GatewayLimits.class)
            .doesNotHaveBean("ollamaRouteLimits").doesNotHaveBean("ollamaRouteLimitsCustomizer"));
  }

  static OllamaCallEvent event(String endpoint, Integer prompt, Integer generated, long chunks) {
    return new OllamaCallEvent(endpoint, "m", chunks > 0, OllamaCallEvent.OUTCOME_SUCCESS, 200, Duration.ofMillis(5),
        null, generated, prompt, chunks);
  }

  @Test
  void aCallCostsItsPromptAndEvalCountsElseItsChunks() {
    assertThat(RouteLimitsFilter.tokensOf(event("api/chat", 7, 4, 4))).isEqualTo(11);
    assertThat(RouteLimitsFilter.tokensOf(event("api/embed", 9, null, 0))).isEqualTo(9);
    assertThat(RouteLimitsFilter.tokensOf(event("api/generate", null, 5, 0))).isEqualTo(5);
    assertThat(RouteLimitsFilter.tokensOf(event("api/chat", null, null, 3))).isEqualTo(3);
  }
}
