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
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import okhttp3.Call;
import okhttp3.EventListener;
import okhttp3.OkHttpClient;
import okhttp3.Response;
import okhttp3.mockwebserver.MockResponse;
import okhttp3.mockwebserver.MockWebServer;
import okhttp3.mockwebserver.SocketPolicy;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.jspecify.annotations.Nullable;

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

  /**
   * A backoff of 20-30 s against {@code Retry-After: 0}. Honoured, the retry goes out at once;
   * ignored, the second request is at least 10 s away (the backoff's least jittered value). Each
   * request the server sees is a call of Keyway's policy (OkHttp repeats nothing on its own: a 503
   * with {@code Retry-After: 0} used to be sent twice by OkHttp before the policy saw it).
   */
  @ParameterizedTest
  @ValueSource(ints = {429, 503})
  void retryAfterIsTheWaitThePolicyAsksFor(int status) throws Exception {
    server.enqueue(status(status).setHeader("Retry-After", "0"));
    server.enqueue(new MockResponse().setBody(OK));
    AtomicInteger calls = new AtomicInteger();
    try (OllamaClient client = OllamaClient.builder().baseUrl(server.url("/").toString())
        .okHttpClient(countingCalls(calls))
        .retryBackoff(Duration.ofSeconds(20), Duration.ofSeconds(30)).build()) {
      CompletableFuture<ChatResponse> answer = CompletableFuture.supplyAsync(() -> client.chat(CHAT));
      assertThat(server.takeRequest(5, TimeUnit.SECONDS)).as("first attempt").isNotNull();
      assertThat(server.takeRequest(5, TimeUnit.SECONDS))
          .as("the retry Retry-After: 0 asks for, well before the 10 s backoff").isNotNull();
      assertThat(answer.get(5, TimeUnit.SECONDS).done()).isTrue();
    }
    assertThat(server.getRequestCount()).isEqualTo(2);
    assertThat(calls).as("attempts of Keyway's policy").hasValue(2);
  }

  /** An OkHttp client counting the calls Keyway's policy starts (each attempt is one call). */
  static OkHttpClient countingCalls(AtomicInteger calls) {
    return new OkHttpClient.Builder().eventListener(new EventListener() {
      @Override
      public void callStart(Call call) {
        calls.incrementAndGet();
      }
    }).build();
  }

  /** The answers OkHttp 4.12 would repeat on its own: none may reach the server twice. */
  static Stream<Arguments> answersOkHttpWouldRepeat() {
    return Stream.of(
        Arguments.of(503, "0", Optional.of(Duration.ZERO)),
        Arguments.of(408, "0", Optional.of(Duration.ZERO)),
        Arguments.of(408, null, Optional.empty()));
  }

  @ParameterizedTest
  @MethodSource("answersOkHttpWouldRepeat")
  void oneAttemptIsOneRequestWhateverTheAnswer(
      int status, @Nullable String retryAfter, Optional<Duration> expected) {
    MockResponse refusal = status(status);
    if (retryAfter != null) {
      refusal.setHeader("Retry-After", retryAfter);
    }
    server.enqueue(refusal);
    server.enqueue(new MockResponse().setBody(OK)); // what a second request would get
    try (OllamaClient client = fastRetries().build()) {
      assertThatThrownBy(() -> client.chat(CHAT, RequestOptions.builder().maxAttempts(1).build()))
          .isInstanceOfSatisfying(OllamaHttpException.class, e -> {
            assertThat(e.status()).isEqualTo(status);
            assertThat(e.retryAfter()).isEqualTo(expected);
          });
    }
    assertThat(server.getRequestCount()).isEqualTo(1);
  }

  @Test
  void a503WithRetryAfterZeroSpendsTheDefaultBudgetAtOnce() throws Exception {
    // Three attempts, each sent at once (a 20-30 s backoff would put 10 s between them), then the
    // last 503 is thrown; were OkHttp repeating, five requests would end in the 200 below.
    for (int i = 0; i < 4; i++) {
      server.enqueue(status(503).setHeader("Retry-After", "0"));
    }
    server.enqueue(new MockResponse().setBody(OK));
    try (OllamaClient client = OllamaClient.builder().baseUrl(server.url("/").toString())
        .retryBackoff(Duration.ofSeconds(20), Duration.ofSeconds(30)).build()) {
      CompletableFuture<ChatResponse> answer = CompletableFuture.supplyAsync(() -> client.chat(CHAT));
      for (int i = 1; i <= 3; i++) {
        assertThat(server.takeRequest(5, TimeUnit.SECONDS)).as("attempt %d", i).isNotNull();
      }
      assertThatThrownBy(() -> answer.get(5, TimeUnit.SECONDS))
          .isInstanceOf(ExecutionException.class)
          .cause().isInstanceOfSatisfying(OllamaHttpException.class, e -> {
            assertThat(e.status()).isEqualTo(503);
            assertThat(e.retryAfter()).contains(Duration.ZERO);
          });
    }
    assertThat(server.getRequestCount()).isEqualTo(3);
  }

  @Test
  void a408IsRetriedByThePolicyAloneWithinItsBudget() {
    for (int i = 0; i < 4; i++) {
      server.enqueue(status(408));
    }
    server.enqueue(new MockResponse().setBody(OK));
    try (OllamaClient client = fastRetries().build()) {
      assertThatThrownBy(() -> client.chat(CHAT))
          .isInstanceOfSatisfying(OllamaHttpException.class, e -> {
            assertThat(e.status()).isEqualTo(408);
            assertThat(e.retryAfter()).isEmpty();
          });
    }
    assertThat(server.getRequestCount()).isEqualTo(3);
  }

  @Test
  void aRetryAfterBeyondAnIntIsATypedError() {
    // OkHttp reads a digits-only Retry-After of a 503 with Integer.valueOf, which throws here.
    server.enqueue(status(503).setHeader("Retry-After", "99999999999"));
    server.enqueue(status(500)); // for a retry that must not happen
    try (OllamaClient client = fastRetries().build()) {
      assertThatThrownBy(() -> client.chat(CHAT))
          .isInstanceOfSatisfying(OllamaHttpException.class,
              e -> assertThat(e.retryAfter()).contains(Duration.ofSeconds(99999999999L)));
    }
    assertThat(server.getRequestCount()).isEqualTo(1);
  }

  @Test
  void theCallersInterceptorsSeeTheServersRetryAfter() {
    List<String> seen = new ArrayList<>();
    OkHttpClient own = new OkHttpClient.Builder()
        .addInterceptor(chain -> {
          Response r = chain.proceed(chain.request());
          seen.add("application " + r.headers("Retry-After"));
          return r;
        })
        .addNetworkInterceptor(chain -> {
          Response r = chain.proceed(chain.request());
          seen.add("network " + r.headers("Retry-After"));
          return r;
        }).build();
    server.enqueue(status(503).setHeader("Retry-After", "0"));
    server.enqueue(status(408));
    server.enqueue(status(500)); // for the repeats OkHttp would make: none are expected
    server.enqueue(status(500));
    try (OllamaClient client = OllamaClient.builder().baseUrl(server.url("/").toString())
        .okHttpClient(own).build()) {
      RequestOptions once = RequestOptions.builder().maxAttempts(1).build();
      assertThatThrownBy(() -> client.chat(CHAT, once)).isInstanceOf(OllamaHttpException.class);
      assertThatThrownBy(() -> client.chat(CHAT, once)).isInstanceOf(OllamaHttpException.class);
    }
    assertThat(seen).containsExactly(
        "network [0]", "application [0]", "network []", "application []");
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
