package dev.keyway.bench;

import io.github.ollama4j.Ollama;
import io.github.ollama4j.exceptions.OllamaException;
import io.github.ollama4j.models.chat.OllamaChatMessageRole;
import io.github.ollama4j.models.chat.OllamaChatRequest;
import io.github.ollama4j.models.chat.OllamaChatResponseModel;

/**
 * ollama4j 1.1.6: {@code chat(request, tokenHandler)}, blocking, the handler called per chunk.
 * Bearer is its only token credential (the stand-in accepts any). Its request timeout is raised
 * from the default so that the 20 s streams of scenario 4 are not cut.
 */
final class Ollama4jClient implements BenchClient {
  private final Ollama ollama;

  Ollama4jClient(String baseUrl) {
    ollama = new Ollama(baseUrl);
    ollama.setBearerAuth(KEY);
    ollama.setRequestTimeoutSeconds(600);
  }

  @Override
  public void stream(String model, Listener listener) {
    OllamaChatRequest request = OllamaChatRequest.builder().withModel(model)
        .withMessage(OllamaChatMessageRole.USER, "Why is the sky blue?").withStreaming().build();
    try {
      ollama.chat(request, (OllamaChatResponseModel chunk) -> {
        if (!chunk.isDone()) {
          listener.onToken(chunk.getMessage().getResponse());
        }
      });
    } catch (OllamaException e) {
      throw new IllegalStateException(e);
    }
    listener.onDone();
  }

  @Override
  public String chat(String model) {
    OllamaChatRequest request = OllamaChatRequest.builder().withModel(model)
        .withMessage(OllamaChatMessageRole.USER, "Why is the sky blue?").build();
    try {
      return ollama.chat(request, null).getResponseModel().getMessage().getResponse();
    } catch (OllamaException e) {
      throw new IllegalStateException(e);
    }
  }

  @Override
  public void close() {}
}
