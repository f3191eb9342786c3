package dev.keyway.ollama.model;

import java.time.OffsetDateTime;
import org.jspecify.annotations.Nullable;

/**
 * A model loaded in memory, one entry of {@code GET /api/ps}.
 *
 * @param name the model's name, e.g. {@code gemma4}; {@code null} becomes {@code ""}
 * @param model the same value as {@code name}
 * @param size bytes it takes in memory
 * @param digest the manifest digest, 64 hex characters without a {@code sha256:} prefix
 * @param details format, family, parameter size and quantization; all empty when absent
 * @param expiresAt when it will be unloaded unless used again, with the server's local offset
 * @param sizeVram bytes of {@code size} held in GPU memory
 * @param contextLength the context length it was loaded with (Ollama v0.9.7+)
 */
public record RunningModel(
    String name,
    String model,
    long size,
    String digest,
    ModelDetails details,
    @Nullable OffsetDateTime expiresAt,
    long sizeVram,
    @Nullable Integer contextLength) {

  /** Turns missing strings into {@code ""} and missing details into empty ones. */
  public RunningModel {
    name = name == null ? "" : name;
    model = model == null ? "" : model;
    digest = digest == null ? "" : digest;
    details = details == null ? ModelDetails.EMPTY : details;
  }
}
