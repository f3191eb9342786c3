package dev.keyway.ollama;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.keyway.ollama.model.ChatRequest;
import dev.keyway.ollama.model.ChatResponse;
import dev.keyway.ollama.model.Message;
import io.github.resilience4j.retry.Retry;
import io.github.resilience4j.retry.RetryConfig;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import okhttp3.mockwebserver.MockResponse;
import okhttp3.mockwebserver.MockWebServer;
import okhttp3.mockwebserver.SocketPolicy;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Retries happen before a body is handed out, never after; backoff is injected, never slept. */
class RetryTest {
  static final ChatRequest CHAT = ChatRequest.builder().model("m").addMessage(Message.user("hi")).build();
  static final String OK = "{\"model\":\"m\",\"message\":{\"role\":\"assistant\",\"content\":\"ok\"},\"done\":true}";

  MockWebServer server;

  @BeforeEach
  void setUp() throws Exception {
    server = new MockWebServer();
    server.start();
  }

  @AfterEach
  void tearDown() throws Exception {
    server.shutdown();
  }

  OllamaClient.Builder fastRetries() {
    return OllamaClient.builder().baseUrl(server.url("/").toString())
        .retryBackoff(Duration.ofMillis(1), Duration.ofMillis(5));
  }

  static MockResponse status(int code) {
    return new MockResponse().setResponseCode(code).setBody("{\"error\":\"busy\"}");
  }

  @Test
  void retriesRetryableStatusesThenSucceeds() {
    server.enqueue(status(503));
    server.enqueue(status(429));
    server.enqueue(new MockResponse().setBody(OK));
    try (OllamaClient client = fastRetries().build()) {
      assertThat(client.chat(CHAT).message().content()).isEqualTo("ok");
    }
    assertThat(server.getRequestCount()).isEqualTo(3);
  }

  @Test
  void stopsAfterThreeAttemptsByDefault() {
    for (int i = 0; i < 5; i++) {
      server.enqueue(status(502));
    }
    try (OllamaClient client = fastRetries().build()) {
      assertThatThrownBy(() -> client.chat(CHAT))
          .isInstanceOfSatisfying(OllamaHttpException.class, e -> assertThat(e.status()).isEqualTo(502));
    }
    assertThat(server.getRequestCount()).isEqualTo(3);
  }

  @Test
  void maxRetriesZeroDisablesRetrying() {
    server.enqueue(status(503));
    try (OllamaClient client = fastRetries().maxRetries(0).build()) {
      assertThatThrownBy(() -> client.chat(CHAT)).isInstanceOf(OllamaHttpException.class);
    }
    assertThat(server.getRequestCount()).isEqualTo(1);
  }

  @Test
  void clientErrorsAreNotRetried() {
    server.enqueue(status(400));
    server.enqueue(status(401));
    server.enqueue(status(500));
    try (OllamaClient client = fastRetries().build()) {
      assertThatThrownBy(() -> client.chat(CHAT)).isInstanceOf(OllamaHttpException.class);
      assertThatThrownBy(() -> client.chat(CHAT)).isInstanceOf(OllamaAuthenticationException.class);
      assertThatThrownBy(() -> client.chat(CHAT)).isInstanceOf(OllamaHttpException.class);
    }
    assertThat(server.getRequestCount()).isEqualTo(3);
  }

  @Test
  void retryAfterLongerThanTheMaximumWaitIsNotWaitedFor() {
    server.enqueue(status(503).setHeader("Retry-After", "120"));
    try (OllamaClient client = fastRetries().build()) {
      long start = System.nanoTime();
      assertThatThrownBy(() -> client.chat(CHAT))
          .isInstanceOfSatisfying(OllamaHttpException.class,
              e -> assertThat(e.retryAfter()).contains(Duration.ofSeconds(120)));
      assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(10));
    }
    assertThat(server.getRequestCount()).isEqualTo(1);
  }

  @Test
  void retryAfterIsTheWaitThePolicyAsksFor() throws Exception {
    // A backoff of 20-30 s against Retry-After: 0. Honoured, the retry goes out at once; ignored,
    // the second request is at least 10 s away (the backoff's least jittered value). A 429, since
    // OkHttp itself repeats a 503 carrying Retry-After: 0 before Keyway's policy sees it.
    server.enqueue(status(429).setHeader("Retry-After", "0"));
    server.enqueue(new MockResponse().setBody(OK));
    try (OllamaClient client = OllamaClient.builder().baseUrl(server.url("/").toString())
        .retryBackoff(Duration.ofSeconds(20), Duration.ofSeconds(30)).build()) {
      CompletableFuture<ChatResponse> answer = CompletableFuture.supplyAsync(() -> client.chat(CHAT));
      assertThat(server.takeRequest(5, TimeUnit.SECONDS)).as("first attempt").isNotNull();
      assertThat(server.takeRequest(5, TimeUnit.SECONDS))
          .as("the retry Retry-After: 0 asks for, well before the 10 s backoff").isNotNull();
      assertThat(answer.get(5, TimeUnit.SECONDS).done()).isTrue();
    }
    assertThat(server.getRequestCount()).isEqualTo(2);
  }

  @Test
  void doesNotRetryAfterTheFirstChunk() {
    server.enqueue(new MockResponse().setHeader("Content-Type", "application/x-ndjson")
        .setBody("{\"model\":\"m\",\"message\":{\"role\":\"assistant\",\"content\":\"a\"},\"done\":false}\n"
            + "{\"model\":\"m\",\"message\":{\"role\":\"assistant\",\"content\":\"b\"},\"done\":false}\n")
        .setSocketPolicy(SocketPolicy.DISCONNECT_DURING_RESPONSE_BODY));
    server.enqueue(new MockResponse().setBody(OK));
    List<String> tokens = new ArrayList<>();
    try (OllamaClient client = fastRetries().build();
        OllamaStream<ChatResponse> stream = client.chatStream(CHAT)) {
      assertThatThrownBy(() -> stream.forEach(c -> tokens.add(c.message().content())))
          .isInstanceOfAny(OllamaTransportException.class, OllamaStreamException.class);
    }
    assertThat(server.getRequestCount()).isEqualTo(1);
    assertThat(tokens).doesNotHaveDuplicates();
  }

  @Test
  void connectFailuresAreRetried() throws IOException {
    int closedPort;
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      closedPort = s.getLocalPort();
    }
    List<Integer> attempts = new ArrayList<>();
    Retry observed = Retry.of("observed", RetryConfig.custom()
        .maxAttempts(3).waitDuration(Duration.ofMillis(1))
        .retryOnException(e -> e instanceof OllamaTransportException).build());
    observed.getEventPublisher().onRetry(e -> attempts.add(e.getNumberOfRetryAttempts()));
    try (OllamaClient client = OllamaClient.builder().baseUrl("http://127.0.0.1:" + closedPort)
        .retry(observed).build()) {
      assertThatThrownBy(client::listModels)
          .isInstanceOf(OllamaTransportException.class)
          .hasMessageContaining("Cannot connect to http://127.0.0.1:" + closedPort)
          .hasMessageContaining("is running");
    }
    assertThat(attempts).containsExactly(1, 2);
  }

  @Test
  void defaultPolicyRetriesConnectionRefusedThreeAttemptsInAll() throws IOException {
    int closedPort;
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      closedPort = s.getLocalPort();
    }
    java.util.concurrent.atomic.AtomicInteger connects = new java.util.concurrent.atomic.AtomicInteger();
    okhttp3.OkHttpClient counting = new okhttp3.OkHttpClient.Builder()
        .retryOnConnectionFailure(false)
        .eventListener(new okhttp3.EventListener() {
          @Override
          public void callStart(okhttp3.Call call) {
            connects.incrementAndGet();
          }
        }).build();
    try (OllamaClient client = OllamaClient.builder().baseUrl("http://127.0.0.1:" + closedPort)
        .okHttpClient(counting).retryBackoff(Duration.ofMillis(1), Duration.ofMillis(2)).build()) {
      assertThatThrownBy(client::listModels).isInstanceOf(OllamaTransportException.class);
    }
    assertThat(connects).hasValue(3);
  }

  @Test
  void neverReplacesResilience4jsJvmWideSleepFunction() throws Exception {
    java.lang.reflect.Field field =
        io.github.resilience4j.retry.internal.RetryImpl.class.getDeclaredField("sleepFunction");
    field.setAccessible(true);
    Object before = field.get(null);
    server.enqueue(status(503));
    server.enqueue(new MockResponse().setBody(OK));
    try (OllamaClient client = fastRetries().build()) {
      client.chat(CHAT);
    }
    assertThat(field.get(null)).isSameAs(before);
  }
}
