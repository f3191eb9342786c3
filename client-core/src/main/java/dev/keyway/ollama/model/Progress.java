package dev.keyway.ollama.model;

import org.jspecify.annotations.Nullable;

/**
 * One progress line of a pull, push or create. The last one of a successful transfer has
 * {@code status} {@value #SUCCESS}; a failure arrives as an error instead.
 *
 * <p>Status texts change between Ollama versions ({@code pulling manifest},
 * {@code pulling 6a0746a1ec1a}, {@code verifying sha256 digest}, …): show them, but branch only
 * on {@link #isSuccess()}.
 *
 * @param status what the server is doing; {@code null} becomes {@code ""}
 * @param digest the layer being transferred, {@code sha256:…}, or {@code null}
 * @param total bytes of that layer, or {@code null}
 * @param completed bytes of it done so far, or {@code null} (Ollama leaves it out while it is 0)
 */
public record Progress(
    String status, @Nullable String digest, @Nullable Long total, @Nullable Long completed) {

  /** The status of the last line of a successful transfer: {@value}. */
  public static final String SUCCESS = "success";

  /** Fills in defaults: a missing status becomes {@code ""}. */
  public Progress {
    status = status == null ? "" : status;
  }

  /** Whether this is the line that ends a successful transfer. */
  public boolean isSuccess() {
    return SUCCESS.equals(status);
  }

  /**
   * How far the current layer is, from 0 to 100, or -1 when this line carries no byte counts (a
   * status change such as {@code writing manifest}).
   */
  public double percent() {
    if (total == null || total <= 0) {
      return -1;
    }
    long done = completed == null ? 0 : Math.min(completed, total);
    return 100.0 * done / total;
  }
}
