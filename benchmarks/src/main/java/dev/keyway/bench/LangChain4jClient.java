package dev.keyway.bench;

import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.chat.response.StreamingChatResponseHandler;
import dev.langchain4j.model.ollama.OllamaChatModel;
import dev.langchain4j.model.ollama.OllamaStreamingChatModel;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * LangChain4j 1.18.1's Ollama module: {@code OllamaStreamingChatModel} with a
 * {@link StreamingChatResponseHandler} (its default HTTP client, the JDK's), and
 * {@code OllamaChatModel} for unary calls. A model object names its model, so one is built per
 * model name and reused, as an application holds one per model.
 */
final class LangChain4jClient implements BenchClient {
  private final String baseUrl;
  private final Map<String, OllamaStreamingChatModel> streaming = new ConcurrentHashMap<>();
  private final Map<String, OllamaChatModel> unary = new ConcurrentHashMap<>();

  LangChain4jClient(String baseUrl) {
    this.baseUrl = baseUrl;
  }

  @Override
  public void stream(String model, Listener listener) {
    Completion completion = new Completion(listener);
    start(model, completion);
    completion.await();
  }

  @Override
  public void start(String model, Listener listener) {
    OllamaStreamingChatModel chatModel = streaming.computeIfAbsent(model, m -> OllamaStreamingChatModel.builder()
        .baseUrl(baseUrl).modelName(m).customHeaders(Map.of("X-API-Key", KEY)).timeout(Duration.ofMinutes(10))
        .build());
    chatModel.chat("Why is the sky blue?", new StreamingChatResponseHandler() {
      @Override
      public void onPartialResponse(String partialResponse) {
        listener.onToken(partialResponse);
      }

      @Override
      public void onCompleteResponse(ChatResponse completeResponse) {
        listener.onDone();
      }

      @Override
      public void onError(Throwable error) {
        listener.onError(error);
      }
    });
  }

  @Override
  public String chat(String model) {
    OllamaChatModel chatModel = unary.computeIfAbsent(model, m -> OllamaChatModel.builder()
        .baseUrl(baseUrl).modelName(m).customHeaders(Map.of("X-API-Key", KEY)).timeout(Duration.ofMinutes(10))
        .build());
    return chatModel.chat("Why is the sky blue?");
  }

  @Override
  public void close() {}
}
