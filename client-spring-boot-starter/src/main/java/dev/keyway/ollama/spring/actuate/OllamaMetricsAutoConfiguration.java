package dev.keyway.ollama.spring.actuate;

import dev.keyway.ollama.OllamaCallEvent;
import dev.keyway.ollama.OllamaCallListener;
import dev.keyway.ollama.OllamaClient;
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
    return new OllamaClientCustomizer() {
      @Override
      public void customize(OllamaClient.Builder builder) {
        builder.listener(new LazyListener(registry, null));
      }

      @Override
      public void customize(String server, OllamaClient.Builder builder) {
        builder.listener(new LazyListener(registry, server));
      }
    };
  }

  /** A {@link MicrometerCallListener} made at the first event, once a registry exists. */
  private static final class LazyListener implements OllamaCallListener {
    private final ObjectProvider<MeterRegistry> registry;
    private final @Nullable String server;
    private volatile @Nullable MicrometerCallListener delegate;

    LazyListener(ObjectProvider<MeterRegistry> registry, @Nullable String server) {
      this.registry = registry;
      this.server = server;
    }

    @Override
    public void onCallEnd(OllamaCallEvent event) {
      MicrometerCallListener d = delegate;
      if (d == null) {
        MeterRegistry r = registry.getIfAvailable();
        if (r == null) {
          return;
        }
        d = delegate = new MicrometerCallListener(r, server);
      }
      d.onCallEnd(event);
    }
  }
}
