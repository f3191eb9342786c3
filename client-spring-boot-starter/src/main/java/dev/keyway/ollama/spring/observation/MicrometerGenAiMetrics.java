package dev.keyway.ollama.spring.observation;

import dev.keyway.ollama.OllamaCallObserver.CallResult;
import io.micrometer.common.KeyValue;
import io.micrometer.common.KeyValues;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code gen_ai.client.operation.duration} (a timer, in seconds) and
 * {@code gen_ai.client.token.usage} (a distribution of tokens, tagged {@code gen_ai.token.type}
 * {@code input} or {@code output}), tagged with the convention's low-cardinality key values. The
 * duration is the one the client measured for the call, the same as
 * {@code ollama.client.requests}.
 */
final class MicrometerGenAiMetrics implements GenAiMetrics {
  static final String DURATION = "gen_ai.client.operation.duration";
  static final String TOKEN_USAGE = "gen_ai.client.token.usage";
  static final String TOKEN_TYPE = "gen_ai.token.type";

  private final MeterRegistry registry;

  MicrometerGenAiMetrics(MeterRegistry registry) {
    this.registry = registry;
  }

  @Override
  public void record(OllamaObservationContext context, KeyValues lowCardinality) {
    CallResult result = context.result();
    if (result == null) {
      return;
    }
    List<Tag> list = new ArrayList<>();
    for (KeyValue kv : lowCardinality) {
      list.add(Tag.of(kv.getKey(), kv.getValue()));
    }
    Tags tags = Tags.of(list);
    Timer.builder(DURATION)
        .description("GenAI operation duration")
        .tags(tags)
        .register(registry)
        .record(result.duration());
    if (result.inputTokens() != null) {
      tokens(tags, "input").record(result.inputTokens());
    }
    if (result.outputTokens() != null) {
      tokens(tags, "output").record(result.outputTokens());
    }
  }

  private DistributionSummary tokens(Tags tags, String type) {
    return DistributionSummary.builder(TOKEN_USAGE)
        .description("Measures number of input and output tokens used")
        .baseUnit("tokens")
        .tags(tags.and(TOKEN_TYPE, type))
        .register(registry);
  }
}
