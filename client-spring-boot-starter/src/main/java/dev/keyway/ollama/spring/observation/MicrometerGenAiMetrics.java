package dev.keyway.ollama.spring.observation;

import dev.keyway.ollama.OllamaCallObserver.CallResult;
import io.micrometer.common.KeyValue;
import io.micrometer.common.KeyValues;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * The meters of an ended call, tagged with the convention's low-cardinality key values,
 * {@code gen_ai.response.model} ({@code none} when there was no answer) and {@code error.type}
 * ({@code none} when the call did not fail), with the bucket boundaries
 * OpenTelemetry's GenAI conventions recommend:
 *
 * <ul>
 *   <li>{@code gen_ai.client.operation.duration}: a timer (seconds), the duration the client
 *       measured for the call, the same as {@code ollama.client.requests};
 *   <li>{@code gen_ai.client.token.usage}: a distribution of tokens, tagged
 *       {@code gen_ai.token.type} {@code input} or {@code output};
 *   <li>{@code gen_ai.client.operation.time_to_first_chunk}: a timer, streamed calls only, from
 *       sending the request to reading the first chunk;
 *   <li>{@code ollama.client.model.load.duration}: a timer of the {@code load_duration} the server
 *       reported (time spent loading or scheduling the model; Ollama's, not in the conventions).
 * </ul>
 */
final class MicrometerGenAiMetrics implements GenAiMetrics {
  static final String DURATION = "gen_ai.client.operation.duration";
  static final String TOKEN_USAGE = "gen_ai.client.token.usage";
  static final String TIME_TO_FIRST_CHUNK = "gen_ai.client.operation.time_to_first_chunk";
  static final String LOAD_DURATION = "ollama.client.model.load.duration";
  static final String TOKEN_TYPE = "gen_ai.token.type";

  private static final Duration[] SECONDS_BUCKETS = buckets(0.01, 14);
  private static final double[] TOKEN_BUCKETS = {1, 4, 16, 64, 256, 1024, 4096, 16384, 65536,
      262144, 1048576, 4194304, 16777216, 67108864};

  private final MeterRegistry registry;

  MicrometerGenAiMetrics(MeterRegistry registry) {
    this.registry = registry;
  }

  /** {@code count} boundaries from {@code first} seconds, each twice the one before. */
  private static Duration[] buckets(double first, int count) {
    Duration[] out = new Duration[count];
    for (int i = 0; i < count; i++) {
      out[i] = Duration.ofNanos(Math.round(first * (1L << i) * 1e9));
    }
    return out;
  }

  @Override
  public void record(OllamaObservationContext context, KeyValues lowCardinality, @Nullable String responseModel,
      @Nullable String errorType) {
    CallResult result = context.result();
    if (result == null) {
      return;
    }
    List<Tag> list = new ArrayList<>();
    for (KeyValue kv : lowCardinality) {
      list.add(Tag.of(kv.getKey(), kv.getValue()));
    }
    list.add(Tag.of(DefaultOllamaObservationConvention.RESPONSE_MODEL,
        responseModel == null ? KeyValue.NONE_VALUE : responseModel));
    list.add(Tag.of(DefaultOllamaObservationConvention.ERROR_TYPE, errorType == null ? KeyValue.NONE_VALUE : errorType));
    Tags tags = Tags.of(list);
    timer(DURATION, "GenAI operation duration", tags).record(result.duration());
    if (result.inputTokens() != null) {
      tokens(tags, "input").record(result.inputTokens());
    }
    if (result.outputTokens() != null) {
      tokens(tags, "output").record(result.outputTokens());
    }
    if (result.timeToFirstChunk() != null) {
      timer(TIME_TO_FIRST_CHUNK, "Time to receive the first chunk of a streamed answer", tags)
          .record(result.timeToFirstChunk());
    }
    if (result.loadDuration() != null) {
      timer(LOAD_DURATION, "Time the Ollama server spent loading or scheduling the model", tags)
          .record(result.loadDuration());
    }
  }

  private Timer timer(String name, String description, Tags tags) {
    return Timer.builder(name)
        .description(description)
        .serviceLevelObjectives(SECONDS_BUCKETS)
        .tags(tags)
        .register(registry);
  }

  private DistributionSummary tokens(Tags tags, String type) {
    return DistributionSummary.builder(TOKEN_USAGE)
        .description("Number of input and output tokens used")
        // No base unit: the conventions' unit is {token}, an annotation, which OpenTelemetry's
        // Prometheus naming drops (gen_ai_client_token_usage_bucket, what GenAI dashboards
        // query); a base unit would make Micrometer expose gen_ai_client_token_usage_tokens_*.
        .serviceLevelObjectives(TOKEN_BUCKETS)
        .tags(tags.and(TOKEN_TYPE, type))
        .register(registry);
  }
}
