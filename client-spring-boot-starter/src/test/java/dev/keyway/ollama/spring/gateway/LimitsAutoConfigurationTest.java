package dev.keyway.ollama.spring.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import dev.keyway.ollama.spring.OllamaAutoConfiguration;
import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.WebApplicationContextRunner;

/** What the limits need on the classpath: Redis only for store=redis, nothing when they are off. */
class LimitsAutoConfigurationTest {
  final WebApplicationContextRunner runner = new WebApplicationContextRunner()
      .withConfiguration(AutoConfigurations.of(OllamaAutoConfiguration.class, OllamaLimitsAutoConfiguration.class,
          OllamaGatewayAutoConfiguration.class))
      .withPropertyValues("ollama.gateway.enabled=true");

  /** No Spring Data Redis, no Lettuce, no Bucket4j Redis adapter. */
  static final FilteredClassLoader WITHOUT_REDIS = new FilteredClassLoader(
      "org.springframework.data.redis", "io.lettuce", "io.github.bucket4j.redis");

  @Test
  void limitsOnTheLocalStoreStartWithoutAnyRedisClass() {
    runner.withClassLoader(WITHOUT_REDIS).withPropertyValues("ollama.limits.enabled=true",
        "ollama.limits.requests.capacity=5")
        .run(context -> {
          assertThat(context).hasNotFailed().hasSingleBean(GatewayLimits.class).hasBean("ollamaGateway");
        });
  }

  @Test
  void theRedisStoreWithoutSpringDataRedisFailsAtStartupSayingWhatToAdd() {
    runner.withClassLoader(WITHOUT_REDIS).withPropertyValues("ollama.limits.enabled=true", "ollama.limits.store=redis")
        .run(context -> assertThat(context).getFailure().rootCause()
            .isInstanceOf(IllegalStateException.class)
            .hasMessageContaining("spring-boot-starter-data-redis"));
  }

  @Test
  void limitsOffNeedNeitherBucket4jNorCaffeineNorRedis() {
    runner.withClassLoader(new FilteredClassLoader("org.springframework.data.redis", "io.lettuce",
        "io.github.bucket4j", "com.github.benmanes.caffeine"))
        .run(context -> assertThat(context).hasNotFailed().doesNotHaveBean(GatewayLimits.class).hasBean("ollamaGateway"));
  }
}
