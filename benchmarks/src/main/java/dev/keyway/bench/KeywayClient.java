package dev.keyway.bench;

import dev.keyway.ollama.OllamaClient;
import dev.keyway.ollama.OllamaException;
import dev.keyway.ollama.OllamaStream;
import dev.keyway.ollama.StreamHandler;
import dev.keyway.ollama.model.ChatRequest;
import dev.keyway.ollama.model.ChatResponse;
import dev.keyway.ollama.model.Message;

/** Keyway as its README shows it: one client, default settings, sync stream or async handler. */
final class KeywayClient implements BenchClient {
  private final OllamaClient client;
  private final boolean async;

  KeywayClient(String baseUrl, boolean async) {
    this(baseUrl, async, null);
  }

  /** With {@code executor} running the asynchronous streams (e.g. a virtual thread each); null: Keyway's own. */
  KeywayClient(String baseUrl, boolean async, java.util.concurrent.Executor executor) {
    OllamaClient.Builder builder = OllamaClient.builder().baseUrl(baseUrl).apiKey(KEY);
    if (executor != null) {
      builder.executor(executor);
    }
    this.client = builder.build();
    this.async = async;
  }

  static ChatRequest request(String model) {
    return ChatRequest.builder().model(model).addMessage(Message.user("Why is the sky blue?")).build();
  }

  @Override
  public void stream(String model, Listener listener) {
    if (async) {
      Completion completion = new Completion(listener);
      start(model, completion);
      completion.await();
      return;
    }
    try (OllamaStream<ChatResponse> stream = client.chatStream(request(model))) {
      for (ChatResponse chunk : stream) {
        if (!chunk.done()) {
          listener.onToken(chunk.message().content());
        }
      }
    }
    listener.onDone();
  }

  @Override
  public void start(String model, Listener listener) {
    if (!async) {
      BenchClient.super.start(model, listener);
      return;
    }
    client.chatStream(request(model), new StreamHandler<ChatResponse>() {
      @Override
      public void onNext(ChatResponse chunk) {
        if (!chunk.done()) {
          listener.onToken(chunk.message().content());
        }
      }

      @Override
      public void onComplete(ChatResponse result) {
        listener.onDone();
      }

      @Override
      public void onError(OllamaException error) {
        listener.onError(error);
      }
    });
  }

  @Override
  public String chat(String model) {
    return client.chat(request(model)).message().content();
  }

  @Override
  public void close() {
    client.close();
  }
}
