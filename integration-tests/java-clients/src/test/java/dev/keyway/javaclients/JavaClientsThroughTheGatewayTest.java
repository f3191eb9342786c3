package dev.keyway.javaclients;

import static org.assertj.core.api.Assertions.assertThat;

import dev.keyway.ollama.testkit.OllamaStandIn;
import dev.keyway.ollama.testkit.RecordedRequest;
import dev.keyway.ollama.testkit.ScriptedModel;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.chat.response.StreamingChatResponseHandler;
import dev.langchain4j.model.ollama.OllamaChatModel;
import dev.langchain4j.model.ollama.OllamaStreamingChatModel;
import io.github.ollama4j.Ollama;
import io.github.ollama4j.models.chat.OllamaChatMessageRole;
import io.github.ollama4j.models.chat.OllamaChatRequest;
import io.github.ollama4j.models.chat.OllamaChatResponseModel;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.ai.ollama.api.OllamaApi;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.core.env.Environment;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * The Java Ollama clients people point at an Ollama URL, unchanged, pointed at the gateway
 * instead: ollama4j 1.1.6, LangChain4j 1.18.1 and Spring AI 2.0.1, each unary and streamed. The
 * browser side sends no key; the gateway adds its own upstream. Each client's requests must pass
 * the gateway's checks as they are (ollama4j sends {@code "useTools": true} in every chat, which
 * Ollama ignores and the gateway drops) and reach upstream with only fields Ollama reads.
 */
@SpringBootTest(classes = JavaClientsThroughTheGatewayTest.App.class,
    webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
    properties = {"ollama.gateway.enabled=true", "ollama.gateway.allowed-models=llama3.2",
        "ollama.gateway.max-num-predict=64", "ollama.api-key-header=X-API-Key",
        "ollama.retry.max-retries=0"})
class JavaClientsThroughTheGatewayTest {
  static final String KEY = "kw-secret-java-clients-upstream";
  static final String ANSWER = "Blue light scatters most.";
  static final OllamaStandIn OLLAMA = OllamaStandIn.builder().requireApiKey(KEY)
      .model(ScriptedModel.named("llama3.2").answer(ANSWER)).build();

  @SpringBootConfiguration
  @EnableAutoConfiguration
  static class App {}

  @DynamicPropertySource
  static void upstream(DynamicPropertyRegistry registry) {
    registry.add("ollama.base-url", OLLAMA::baseUrl);
    registry.add("ollama.api-key", () -> KEY);
  }

  @AfterAll
  static void stop() {
    OLLAMA.close();
  }

  @Autowired Environment environment;
  int upstreamBefore;

  @BeforeEach
  void mark() {
    upstreamBefore = OLLAMA.requestCount();
  }

  String gateway() {
    return "http://127.0.0.1:" + environment.getProperty("local.server.port") + "/ollama";
  }

  /** What reached Ollama since the test began: a chat, with the key, and only fields Ollama reads. */
  List<RecordedRequest> upstreamChats(int expected) {
    List<RecordedRequest> all = OLLAMA.requests();
    List<RecordedRequest> mine = all.subList(upstreamBefore, all.size()).stream()
        .filter(r -> r.path().equals("/api/chat")).collect(Collectors.toList());
    assertThat(mine).hasSize(expected);
    for (RecordedRequest r : mine) {
      assertThat(r.header("X-API-Key")).isEqualTo(KEY);
      assertThat(r.bodyJson().fieldNames()).toIterable().isSubsetOf("model", "messages", "tools",
          "format", "options", "stream", "think", "keep_alive", "logprobs", "top_logprobs");
      assertThat(r.bodyJson().get("options").get("num_predict").asInt()).isBetween(1, 64);
    }
    return mine;
  }

  @Test
  void ollama4jUnaryAndStreamed() throws Exception {
    Ollama ollama = new Ollama(gateway());
    ollama.setRequestTimeoutSeconds(30);
    OllamaChatRequest unary = OllamaChatRequest.builder().withModel("llama3.2")
        .withMessage(OllamaChatMessageRole.USER, "Why is the sky blue?").build();
    assertThat(ollama.chat(unary, null).getResponseModel().getMessage().getResponse()).isEqualTo(ANSWER);

    StringBuilder streamed = new StringBuilder();
    int[] chunks = {0};
    OllamaChatRequest streaming = OllamaChatRequest.builder().withModel("llama3.2")
        .withMessage(OllamaChatMessageRole.USER, "Why is the sky blue?").withStreaming().build();
    ollama.chat(streaming, (OllamaChatResponseModel chunk) -> {
      streamed.append(chunk.getMessage().getResponse());
      chunks[0]++;
    });
    assertThat(streamed.toString()).isEqualTo(ANSWER);
    assertThat(chunks[0]).isGreaterThan(2);
    List<RecordedRequest> sent = upstreamChats(2);
    assertThat(sent.get(0).bodyJson().get("stream").asBoolean()).isFalse();
    assertThat(sent.get(1).bodyJson().get("stream").asBoolean()).isTrue();
  }

  @Test
  void langChain4jUnaryAndStreamed() throws Exception {
    OllamaChatModel unary = OllamaChatModel.builder().baseUrl(gateway()).modelName("llama3.2")
        .temperature(0.2).timeout(Duration.ofSeconds(30)).build();
    assertThat(unary.chat("Why is the sky blue?")).isEqualTo(ANSWER);

    OllamaStreamingChatModel streaming = OllamaStreamingChatModel.builder().baseUrl(gateway())
        .modelName("llama3.2").temperature(0.2).timeout(Duration.ofSeconds(30)).build();
    StringBuilder partials = new StringBuilder();
    CompletableFuture<ChatResponse> done = new CompletableFuture<>();
    streaming.chat("Why is the sky blue?", new StreamingChatResponseHandler() {
      @Override
      public void onPartialResponse(String partialResponse) {
        partials.append(partialResponse);
      }

      @Override
      public void onCompleteResponse(ChatResponse completeResponse) {
        done.complete(completeResponse);
      }

      @Override
      public void onError(Throwable error) {
        done.completeExceptionally(error);
      }
    });
    assertThat(done.get(30, TimeUnit.SECONDS).aiMessage().text()).isEqualTo(ANSWER);
    assertThat(partials.toString()).isEqualTo(ANSWER);
    List<RecordedRequest> sent = upstreamChats(2);
    assertThat(sent.get(0).bodyJson().get("options").get("temperature").asDouble()).isEqualTo(0.2);
  }

  @Test
  void springAiUnaryAndStreamed() {
    OllamaApi api = OllamaApi.builder().baseUrl(gateway()).build();
    org.springframework.ai.ollama.OllamaChatModel chatModel = org.springframework.ai.ollama.OllamaChatModel.builder()
        .ollamaApi(api)
        .options(org.springframework.ai.ollama.api.OllamaChatOptions.builder().model("llama3.2")
            .temperature(0.2).build())
        .build();
    assertThat(chatModel.call("Why is the sky blue?")).isEqualTo(ANSWER);
    String streamed = chatModel.stream("Why is the sky blue?").collectList()
        .block(Duration.ofSeconds(30)).stream().collect(Collectors.joining());
    assertThat(streamed).isEqualTo(ANSWER);
    upstreamChats(2);
  }
}
