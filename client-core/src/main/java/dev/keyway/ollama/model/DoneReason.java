package dev.keyway.ollama.model;

/**
 * Values of {@code done_reason} on a final chunk. Plain strings, so a reason added by a newer
 * server still comes through; the field is absent when the reason is unknown or the server old.
 */
public final class DoneReason {
  /** The model finished, or hit a stop sequence: {@value}. */
  public static final String STOP = "stop";
  /** Generation reached {@code num_predict} or the context limit: {@value}. */
  public static final String LENGTH = "length";
  /** The request only loaded the model (no messages or an empty prompt): {@value}. */
  public static final String LOAD = "load";
  /** The request only unloaded the model ({@code keep_alive} 0 with nothing to do): {@value}. */
  public static final String UNLOAD = "unload";

  private DoneReason() {}
}
