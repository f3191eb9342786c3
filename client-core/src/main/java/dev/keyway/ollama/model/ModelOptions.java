package dev.keyway.ollama.model;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * Model parameters for one request, sent as Ollama's {@code options} object and laid over the
 * model's Modelfile {@code PARAMETER}s.
 *
 * <pre>{@code
 * ModelOptions options = ModelOptions.builder()
 *     .temperature(0.2).numCtx(8192).stop("<end_of_turn>")
 *     .put("draft_num_predict", 4)   // anything without a typed setter
 *     .build();
 * }</pre>
 *
 * <p>All values live in one map of Ollama's snake_case keys, in the order they were set; typed
 * setters write the same keys as {@link Builder#put(String, Object)}, so {@code numPredict(5)} and
 * {@code put("num_predict", 5)} are the same option. The server ignores unknown keys but answers
 * 500 to a value of the wrong type. Immutable; equal when the maps are equal.
 */
public final class ModelOptions {
  private final Map<String, Object> values;

  private ModelOptions(Map<String, Object> values) {
    this.values = Collections.unmodifiableMap(new LinkedHashMap<>(values));
  }

  /** Starts an empty builder. */
  public static Builder builder() {
    return new Builder(Map.of());
  }

  /** A builder that starts from these options. */
  public Builder toBuilder() {
    return new Builder(values);
  }

  @JsonCreator(mode = JsonCreator.Mode.DELEGATING)
  static ModelOptions fromJson(Map<String, Object> map) {
    Builder b = builder();
    map.forEach(b::put);
    return b.build();
  }

  /** The options as sent, snake_case keys in insertion order. Unmodifiable. */
  @JsonValue
  public Map<String, Object> asMap() {
    return values;
  }

  /** The value of an option by its Ollama key (e.g. {@code "num_ctx"}), or {@code null} if unset. */
  public @Nullable Object get(String key) {
    return values.get(key);
  }

  @Override
  public boolean equals(@Nullable Object o) {
    return o instanceof ModelOptions && ((ModelOptions) o).values.equals(values);
  }

  @Override
  public int hashCode() {
    return values.hashCode();
  }

  @Override
  public String toString() {
    return "ModelOptions" + values;
  }

  /** Builds {@link ModelOptions}. Setting a key again replaces its value in place. Not thread-safe. */
  public static final class Builder {
    private final Map<String, Object> values;

    Builder(Map<String, Object> values) {
      this.values = new LinkedHashMap<>(values);
    }

    /**
     * Sets any option by its Ollama key, for options without a typed setter. A {@code null} value
     * removes the key. Values must be JSON-compatible: numbers, strings, booleans, lists, maps.
     *
     * @throws IllegalArgumentException if {@code key} is blank
     */
    public Builder put(String key, @Nullable Object value) {
      Objects.requireNonNull(key, "key");
      if (key.isBlank()) {
        throw new IllegalArgumentException("option key must not be blank");
      }
      if (value == null) {
        values.remove(key);
      } else if (value instanceof List) {
        values.put(key, List.copyOf((List<?>) value));
      } else {
        values.put(key, value);
      }
      return this;
    }

    /** {@code temperature}: higher is more creative (server default 0.8). */
    public Builder temperature(double temperature) {
      return put("temperature", temperature);
    }

    /** {@code top_p}: nucleus sampling threshold (default 0.9). */
    public Builder topP(double topP) {
      return put("top_p", topP);
    }

    /** {@code top_k}: sample from the k likeliest tokens (default 40). */
    public Builder topK(int topK) {
      return put("top_k", topK);
    }

    /** {@code min_p}: minimum probability relative to the likeliest token (default 0.0). */
    public Builder minP(double minP) {
      return put("min_p", minP);
    }

    /** {@code typical_p}: locally typical sampling (default 1.0, off). */
    public Builder typicalP(double typicalP) {
      return put("typical_p", typicalP);
    }

    /** {@code num_ctx}: context window in tokens; takes effect when the model loads. */
    public Builder numCtx(int numCtx) {
      return put("num_ctx", numCtx);
    }

    /** {@code num_predict}: most tokens to generate, -1 for no limit (the default). */
    public Builder numPredict(int numPredict) {
      return put("num_predict", numPredict);
    }

    /** {@code num_keep}: prompt tokens kept when the context shifts (default 4). */
    public Builder numKeep(int numKeep) {
      return put("num_keep", numKeep);
    }

    /** {@code seed}: fixed random seed for repeatable output (default -1, random). */
    public Builder seed(int seed) {
      return put("seed", seed);
    }

    /** {@code stop}: sequences that end generation. Replaces any set before. */
    public Builder stop(List<String> stop) {
      return put("stop", List.copyOf(stop));
    }

    /** {@code stop}: sequences that end generation. Replaces any set before. */
    public Builder stop(String... stop) {
      return stop(List.of(stop));
    }

    /** {@code repeat_penalty}: penalty for repeated tokens (default 1.0). */
    public Builder repeatPenalty(double repeatPenalty) {
      return put("repeat_penalty", repeatPenalty);
    }

    /** {@code repeat_last_n}: how far back to look for repeats; 0 off, -1 the whole context. */
    public Builder repeatLastN(int repeatLastN) {
      return put("repeat_last_n", repeatLastN);
    }

    /** {@code presence_penalty}: penalty for tokens already present (default 0.0). */
    public Builder presencePenalty(double presencePenalty) {
      return put("presence_penalty", presencePenalty);
    }

    /** {@code frequency_penalty}: penalty growing with a token's frequency (default 0.0). */
    public Builder frequencyPenalty(double frequencyPenalty) {
      return put("frequency_penalty", frequencyPenalty);
    }

    /** {@code num_batch}: prompt processing batch size (default 512); load-time. */
    public Builder numBatch(int numBatch) {
      return put("num_batch", numBatch);
    }

    /** {@code num_gpu}: layers to offload to the GPU, -1 automatic; load-time. */
    public Builder numGpu(int numGpu) {
      return put("num_gpu", numGpu);
    }

    /** {@code main_gpu}: the GPU that holds small tensors; load-time. */
    public Builder mainGpu(int mainGpu) {
      return put("main_gpu", mainGpu);
    }

    /** {@code use_mmap}: whether to memory-map the model file; load-time. */
    public Builder useMmap(boolean useMmap) {
      return put("use_mmap", useMmap);
    }

    /** {@code num_thread}: CPU threads, 0 lets the runtime decide; load-time. */
    public Builder numThread(int numThread) {
      return put("num_thread", numThread);
    }

    /** New options with the values set so far. */
    public ModelOptions build() {
      return new ModelOptions(values);
    }
  }
}
