package dev.keyway.bench;

import java.util.List;
import org.springframework.ai.ollama.api.OllamaApi;
import org.springframework.web.client.RestClient;
import org.springframework.web.reactive.function.client.WebClient;

/**
 * Spring AI's low-level {@link OllamaApi}: {@code streamingChat} is a {@code Flux} from
 * {@code WebClient} (Reactor Netty here, what spring-boot-starter-webflux brings), {@code chat}
 * goes through {@code RestClient} (which picks Reactor Netty too when it is on the class path).
 * The API key is a default header on both builders.
 */
final class SpringAiClient implements BenchClient {
  private final OllamaApi api;

  SpringAiClient(String baseUrl) {
    api = OllamaApi.builder().baseUrl(baseUrl)
        .restClientBuilder(RestClient.builder().defaultHeader("X-API-Key", KEY))
        .webClientBuilder(WebClient.builder().defaultHeader("X-API-Key", KEY))
        .build();
  }

  private static OllamaApi.ChatRequest request(String model, boolean stream) {
    return OllamaApi.ChatRequest.builder(model)
        .messages(List.of(OllamaApi.Message.builder(OllamaApi.Message.Role.USER).content("Why is the sky blue?").build()))
        .stream(stream).build();
  }

  @Override
  public void stream(String model, Listener listener) {
    Completion completion = new Completion(listener);
    start(model, completion);
    completion.await();
  }

  @Override
  public void start(String model, Listener listener) {
    api.streamingChat(request(model, true)).subscribe(chunk -> {
      if (!Boolean.TRUE.equals(chunk.done())) {
        listener.onToken(chunk.message().content());
      }
    }, listener::onError, listener::onDone);
  }

  @Override
  public String chat(String model) {
    return api.chat(request(model, false)).message().content();
  }

  @Override
  public void close() {}
}
