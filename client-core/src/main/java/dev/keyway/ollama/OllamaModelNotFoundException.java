package dev.keyway.ollama;

/**
 * 404 about a model: Ollama does not have the model the request named. Pull it first
 * ({@code ollama pull <model>}) or fix the name. A 404 for a wrong path is a plain
 * {@link OllamaHttpException}.
 */
public class OllamaModelNotFoundException extends OllamaHttpException {
  private static final long serialVersionUID = 1L;

  private final String model;

  public OllamaModelNotFoundException(String model, String serverMessage, String message) {
    super(404, serverMessage, null, message);
    this.model = model;
  }

  /** The model name the request asked for; empty when the request named none. */
  public String model() {
    return model;
  }
}
