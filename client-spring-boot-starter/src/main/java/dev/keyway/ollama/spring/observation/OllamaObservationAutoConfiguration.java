package dev.keyway.ollama.spring.observation;

import dev.keyway.ollama.OllamaClient;
import dev.keyway.ollama.spring.OllamaAutoConfiguration;
import dev.keyway.ollama.spring.OllamaClientCustomizer;
import io.micrometer.common.KeyValues;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.observation.ObservationRegistry;
import org.jspecify.annotations.Nullable;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * Observes every call of the auto-configured client with the application's
 * {@link ObservationRegistry} (Spring Boot provides one with the actuator): spans through a
 * tracing bridge, the trace context sent upstream, and the GenAI meters when there is a
 * {@link MeterRegistry}. Without an {@code ObservationRegistry} bean (or with {@code ObservationRegistry.NOOP}), the
 * client gets no observer and calls cost nothing extra. Declare an
 * {@link OllamaObservationConvention} bean to change names or key values. Prompt and answer text
 * is recorded only with {@code ollama.observation.capture-message-content=true}.
 */
@AutoConfiguration(before = OllamaAutoConfiguration.class)
@ConditionalOnClass(ObservationRegistry.class)
@EnableConfigurationProperties(OllamaObservationProperties.class)
public class OllamaObservationAutoConfiguration {

  @Bean
  OllamaClientCustomizer ollamaObservationCustomizer(ObjectProvider<ObservationRegistry> registry,
      ObjectProvider<OllamaObservationConvention> convention, ObjectProvider<GenAiMetrics> metrics,
      OllamaObservationProperties properties) {
    return new OllamaClientCustomizer() {
      @Override
      public void customize(OllamaClient.Builder builder) {
        observe(builder, null);
      }

      /** Each server's client of {@code ollama.servers}: its observations name the server. */
      @Override
      public void customize(String server, OllamaClient.Builder builder) {
        observe(builder, server);
      }

      private void observe(OllamaClient.Builder builder, @Nullable String server) {
        ObservationRegistry r = registry.getIfUnique();
        if (r == null || r == ObservationRegistry.NOOP) {
          return;
        }
        GenAiContent content = properties.isCaptureMessageContent()
            ? new GenAiContent(properties.getMaxContentLength()) : null;
        builder.observer(new ObservationCallObserver(r, convention.getIfUnique(), metrics.getIfUnique(),
            content, server));
      }
    };
  }

  /** The GenAI meters, when Micrometer's meter API is there (a registry is looked up lazily). */
  @Configuration(proxyBeanMethods = false)
  @ConditionalOnClass(MeterRegistry.class)
  static class GenAiMetricsConfiguration {

    @Bean
    GenAiMetrics ollamaGenAiMetrics(ObjectProvider<MeterRegistry> registry) {
      return new GenAiMetrics() {
        private volatile @Nullable MicrometerGenAiMetrics delegate;

        @Override
        public void record(OllamaObservationContext context, KeyValues low, @Nullable String responseModel,
            @Nullable String errorType) {
          MicrometerGenAiMetrics d = delegate;
          if (d == null) {
            MeterRegistry m = registry.getIfUnique();
            if (m == null) {
              return;
            }
            d = delegate = new MicrometerGenAiMetrics(m);
          }
          d.record(context, low, responseModel, errorType);
        }
      };
    }
  }
}
