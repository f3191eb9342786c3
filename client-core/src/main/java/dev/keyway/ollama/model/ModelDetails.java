package dev.keyway.ollama.model;

import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * What a model is made of, as reported by {@code /api/tags} and {@code /api/ps}. Strings the
 * server leaves empty or out are {@code ""}.
 *
 * @param parentModel the model it was created from, often {@code ""}
 * @param format the weights format, e.g. {@code gguf} or {@code safetensors}; {@code ""} for
 *     cloud stubs
 * @param family the architecture family, e.g. {@code llama}
 * @param families all families involved; empty when the server sends {@code null}
 * @param parameterSize the parameter count as text, e.g. {@code "8.2B"}
 * @param quantizationLevel e.g. {@code Q4_K_M} or {@code MXFP4}
 * @param contextLength the model's maximum context length, if reported (Ollama v0.30+)
 * @param embeddingLength the embedding width, if reported (Ollama v0.30+)
 */
public record ModelDetails(
    String parentModel,
    String format,
    String family,
    List<String> families,
    String parameterSize,
    String quantizationLevel,
    @Nullable Integer contextLength,
    @Nullable Integer embeddingLength) {

  /** Details with every string empty and nothing else known. */
  static final ModelDetails EMPTY = new ModelDetails("", "", "", List.of(), "", "", null, null);

  /** Turns missing strings into {@code ""} and missing families into an empty list. */
  public ModelDetails {
    parentModel = parentModel == null ? "" : parentModel;
    format = format == null ? "" : format;
    family = family == null ? "" : family;
    families = families == null ? List.of() : List.copyOf(families);
    parameterSize = parameterSize == null ? "" : parameterSize;
    quantizationLevel = quantizationLevel == null ? "" : quantizationLevel;
  }
}
