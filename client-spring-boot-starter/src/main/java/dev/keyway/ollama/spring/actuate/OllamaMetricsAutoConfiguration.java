package dev.keyway.ollama.spring.actuate;

import dev.keyway.ollama.OllamaCallEvent;
import dev.keyway.ollama.OllamaCallListener;
import dev.keyway.ollama.spring.OllamaAutoConfiguration;
import dev.keyway.ollama.spring.OllamaClientCustomizer;
import io.micrometer.core.instrument.MeterRegistry;
import org.jspecify.annotations.Nullable;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.context.annotation.Bean;

/**
 * Micrometer metrics for the auto-configured client when Micrometer is present: a customizer that
 * registers a {@link MicrometerCallListener}. It runs before {@link OllamaAutoConfiguration} so the
 * customizer exists when the client is built; the registry is looked up lazily, so nothing is
 * recorded (and nothing fails) when the application has no {@link MeterRegistry}.
 */
@AutoConfiguration(before = OllamaAutoConfiguration.class)
@ConditionalOnClass(MeterRegistry.class)
public class OllamaMetricsAutoConfiguration {

  @Bean
  OllamaClientCustomizer ollamaMetricsCustomizer(ObjectProvider<MeterRegistry> registry) {
    return builder -> builder.listener(new OllamaCallListener() {
      private volatile @Nullable MicrometerCallListener delegate;

      @Override
      public void onCallEnd(OllamaCallEvent event) {
        MicrometerCallListener d = delegate;
        if (d == null) {
          MeterRegistry r = registry.getIfAvailable();
          if (r == null) {
            return;
          }
          d = delegate = new MicrometerCallListener(r);
        }
        d.onCallEnd(event);
      }
    });
  }
}
