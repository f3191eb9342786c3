package dev.keyway.ollama.model;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.time.OffsetDateTime;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * A model installed on the server, one entry of {@code GET /api/tags}.
 *
 * @param name the model's name with its tag, e.g. {@code llama3.2:latest}; {@code null} becomes
 *     {@code ""}
 * @param model the same value as {@code name}
 * @param remoteModel for a cloud stub, the model it stands for (e.g. {@code gpt-oss:120b})
 * @param remoteHost for a cloud stub, the server that runs it (e.g.
 *     {@code https://ollama.com:443})
 * @param modifiedAt when the model was last changed, with the server's local offset
 * @param size the size on disk in bytes (a few hundred bytes for a cloud stub)
 * @param digest the manifest digest, 64 hex characters without a {@code sha256:} prefix
 * @param details format, family, parameter size and quantization; all empty when absent
 * @param capabilities what it can do, see {@link Capability}; empty on servers older than v0.9.1
 */
public record ModelSummary(
    String name,
    String model,
    @Nullable String remoteModel,
    @Nullable String remoteHost,
    @Nullable OffsetDateTime modifiedAt,
    long size,
    String digest,
    ModelDetails details,
    @JsonInclude(JsonInclude.Include.NON_EMPTY) List<String> capabilities) {

  /** Turns missing strings into {@code ""}, missing details and capabilities into empty ones. */
  public ModelSummary {
    name = name == null ? "" : name;
    model = model == null ? "" : model;
    digest = digest == null ? "" : digest;
    details = details == null ? ModelDetails.EMPTY : details;
    capabilities = capabilities == null ? List.of() : List.copyOf(capabilities);
  }

  /**
   * Whether the server lists this capability, e.g. {@link Capability#TOOLS}. Always false on
   * servers too old to report capabilities.
   */
  public boolean hasCapability(String capability) {
    return capabilities.contains(capability);
  }

  /** Whether this is a local stub for a model that runs elsewhere, such as Ollama Cloud. */
  public boolean isRemote() {
    return remoteModel != null || remoteHost != null;
  }
}
