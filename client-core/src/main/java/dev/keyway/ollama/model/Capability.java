package dev.keyway.ollama.model;

/**
 * Model capability strings, as listed in {@link ModelSummary#capabilities()}. Plain strings, so a
 * capability added by a newer server still comes through.
 */
public final class Capability {
  /** Text generation: {@value}. */
  public static final String COMPLETION = "completion";
  /** Tool calling: {@value}. */
  public static final String TOOLS = "tools";
  /** Fill-in-the-middle with a {@code suffix}: {@value}. */
  public static final String INSERT = "insert";
  /** Image input: {@value}. */
  public static final String VISION = "vision";
  /** Embeddings: {@value}. */
  public static final String EMBEDDING = "embedding";
  /** A separate reasoning trace ({@code think}): {@value}. */
  public static final String THINKING = "thinking";
  /** Image generation: {@value}. */
  public static final String IMAGE = "image";
  /** Audio input: {@value}. */
  public static final String AUDIO = "audio";

  private Capability() {}
}
