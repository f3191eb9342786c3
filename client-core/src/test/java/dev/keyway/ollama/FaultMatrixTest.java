package dev.keyway.ollama;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import dev.keyway.ollama.model.ChatRequest;
import dev.keyway.ollama.model.ChatResponse;
import dev.keyway.ollama.model.Message;
import dev.keyway.ollama.testkit.Fault;
import dev.keyway.ollama.testkit.OllamaStandIn;
import dev.keyway.ollama.testkit.RecordedRequest;
import dev.keyway.ollama.testkit.ScriptedModel;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.stream.Stream;
import okhttp3.OkHttpClient;
import okhttp3.mockwebserver.MockWebServer;
import okhttp3.tls.HandshakeCertificates;
import okhttp3.tls.HeldCertificate;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every way the network, a proxy or Ollama fails, each proving the same three things: the caller
 * gets exactly one typed exception and no hang; every token written before the failure reached
 * the caller once, in order, and nothing after it; the connection pool is back to idle (no call
 * left running, no connection left checked out). Streamed cases run through the blocking {@link
 * OllamaStream} and through the async {@link StreamHandler}. Each case's time to failure goes to
 * target/fault-matrix.txt.
 */
class FaultMatrixTest {
  static final String KEY = "kw-secret-fault-matrix";
  static final List<String> TOKENS = List.of("Sun", "light", " is", " scattered", " by", " air");
  static final Path REPORT = Path.of("target", "fault-matrix.txt");

  static OllamaStandIn ollama;
  final OkHttpClient ok = new OkHttpClient();

  @BeforeAll
  static void start() throws IOException {
    ollama = OllamaStandIn.builder().requireApiKey(KEY)
        .model(ScriptedModel.named("m").tokens(TOKENS.toArray(String[]::new)))
        .build();
    Files.createDirectories(REPORT.getParent());
    Files.writeString(REPORT, "");
  }

  @AfterAll
  static void stop() {
    ollama.close();
  }

  @AfterEach
  void poolIsBackToIdle() {
    assertPoolIdle();
    ok.connectionPool().evictAll();
    ok.dispatcher().executorService().shutdown();
  }

  OllamaClient client(Function<OllamaClient.Builder, OllamaClient.Builder> tune) {
    return tune.apply(OllamaClient.builder().baseUrl(ollama.baseUrl()).apiKey(KEY).okHttpClient(ok)).build();
  }

  static ChatRequest chat() {
    return ChatRequest.builder().model("m").addMessage(Message.user("Why is the sky blue?")).build();
  }

  /** A fault in the middle of a streamed answer, and what the caller must see. */
  record StreamCase(String name, Fault fault, Class<? extends OllamaException> type, int before,
      String message, Duration readTimeout) {
    @Override
    public String toString() {
      return name;
    }
  }

  static Stream<Arguments> streamCases() {
    Duration normal = Duration.ofSeconds(20);
    List<StreamCase> cases = List.of(
        new StreamCase("in-band error line", Fault.errorAfter(3, "model runner crashed"),
            OllamaStreamException.class, 3, "model runner crashed", normal),
        new StreamCase("drop after N tokens", Fault.dropAfter(4), OllamaTransportException.class, 4,
            "/api/chat", normal),
        new StreamCase("drop inside a UTF-8 character", Fault.dropMidCharacter(2),
            OllamaTransportException.class, 2, "/api/chat", normal),
        new StreamCase("end without done", Fault.endWithoutDone(5), OllamaStreamException.class, 5,
            "done", normal),
        new StreamCase("malformed JSON line", Fault.lineAfter(3, "{\"model\":\"m\",\"message\":{\"content\":tru"),
            OllamaStreamException.class, 3, "{\"model\":\"m\",\"message\"", normal),
        new StreamCase("gap longer than the read timeout", Fault.stallAfter(2, Duration.ofSeconds(4)),
            OllamaTransportException.class, 2, "read timeout", Duration.ofSeconds(1)));
    List<Arguments> arguments = new ArrayList<>();
    for (StreamCase c : cases) {
      arguments.add(Arguments.of(c, "blocking"));
      arguments.add(Arguments.of(c, "async"));
    }
    return arguments.stream();
  }

  @ParameterizedTest(name = "{0} ({1})")
  @MethodSource("streamCases")
  void streamFault(StreamCase c, String api) {
    ollama.enqueue(c.fault());
    List<String> seen = new CopyOnWriteArrayList<>();
    long start = System.nanoTime();
    Throwable error;
    try (OllamaClient client = client(b -> b.readTimeout(c.readTimeout()).maxRetries(0))) {
      error = assertTimeoutPreemptively(Duration.ofSeconds(30),
          () -> "blocking".equals(api) ? blocking(client, seen) : async(client, seen));
    }
    Duration took = Duration.ofNanos(System.nanoTime() - start);
    assertThat(error).isExactlyInstanceOf(c.type()).hasMessageContaining(c.message());
    assertThat(error.getMessage()).doesNotContain(KEY);
    assertThat(seen).as("tokens before the failure, once each, in order").isEqualTo(TOKENS.subList(0, c.before()));
    report(c.name() + " (" + api + ")", error, took);
  }

  private static Throwable blocking(OllamaClient client, List<String> seen) {
    try (OllamaStream<ChatResponse> stream = client.chatStream(chat())) {
      for (ChatResponse chunk : stream) {
        if (!chunk.done()) {
          seen.add(chunk.message().content());
        }
      }
      return new AssertionError("the stream ended normally");
    } catch (OllamaException e) {
      return e;
    }
  }

  private static Throwable async(OllamaClient client, List<String> seen) throws Exception {
    CompletableFuture<Throwable> outcome = new CompletableFuture<>();
    client.chatStream(chat(), new StreamHandler<>() {
      @Override
      public void onNext(ChatResponse chunk) {
        if (!chunk.done()) {
          seen.add(chunk.message().content());
        }
      }

      @Override
      public void onComplete(ChatResponse result) {
        outcome.complete(new AssertionError("the stream completed normally"));
      }

      @Override
      public void onError(OllamaException error) {
        outcome.complete(error);
      }
    });
    return outcome.get(30, TimeUnit.SECONDS);
  }

  @Test
  void slowFirstByteWithinTheReadTimeoutSucceeds() {
    ollama.enqueue(Fault.slowFirstByte(Duration.ofMillis(1500)));
    List<String> seen = new ArrayList<>();
    try (OllamaClient client = client(b -> b.readTimeout(Duration.ofSeconds(5)))) {
      String answer = assertTimeoutPreemptively(Duration.ofSeconds(30), () -> {
        try (OllamaStream<ChatResponse> stream = client.chatStream(chat())) {
          stream.forEach(chunk -> seen.add(chunk.message().content()));
          return stream.result().message().content();
        }
      });
      assertThat(answer).isEqualTo(String.join("", TOKENS));
    }
    assertThat(seen.subList(0, TOKENS.size())).isEqualTo(TOKENS);
  }

  @Test
  void connectionRefusedNamesTheUrlAndWhatToCheck() throws IOException {
    int port;
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      port = socket.getLocalPort();
    }
    String url = "http://127.0.0.1:" + port;
    long start = System.nanoTime();
    try (OllamaClient client = OllamaClient.builder().baseUrl(url).apiKey(KEY).okHttpClient(ok)
        .retryBackoff(Duration.ofMillis(10), Duration.ofMillis(50)).build()) {
      Throwable error = assertTimeoutPreemptively(Duration.ofSeconds(30), () -> catching(client::listModels));
      assertThat(error).isExactlyInstanceOf(OllamaTransportException.class)
          .hasMessageContaining(url)
          .hasMessageContaining("check that Ollama, or the proxy in front of it, is running");
      report("connection refused (3 retries)", error, Duration.ofNanos(System.nanoTime() - start));
    }
  }

  @Test
  void unknownHostNamesTheHost() {
    long start = System.nanoTime();
    try (OllamaClient client = OllamaClient.builder().baseUrl("http://ollama.keyway-test.invalid:11434")
        .apiKey(KEY).okHttpClient(ok).maxRetries(0).build()) {
      Throwable error = assertTimeoutPreemptively(Duration.ofSeconds(30), () -> catching(client::listModels));
      assertThat(error).isExactlyInstanceOf(OllamaTransportException.class)
          .hasMessageContaining("Cannot resolve host ollama.keyway-test.invalid")
          .hasMessageContaining("OLLAMA_HOST");
      report("DNS failure (.invalid)", error, Duration.ofNanos(System.nanoTime() - start));
    }
  }

  @Test
  void untrustedCertificateIsATlsErrorThatSaysHowToTrustIt() throws Exception {
    HeldCertificate self = new HeldCertificate.Builder().addSubjectAlternativeName("127.0.0.1").build();
    try (MockWebServer server = new MockWebServer()) {
      server.useHttps(new HandshakeCertificates.Builder().heldCertificate(self).build().sslSocketFactory(), false);
      server.start(InetAddress.getLoopbackAddress(), 0);
      String url = "https://127.0.0.1:" + server.getPort();
      long start = System.nanoTime();
      try (OllamaClient client = OllamaClient.builder().baseUrl(url).apiKey(KEY).okHttpClient(ok).build()) {
        Throwable error = assertTimeoutPreemptively(Duration.ofSeconds(30), () -> catching(client::listModels));
        assertThat(error).isExactlyInstanceOf(OllamaTransportException.class)
            .hasMessageContaining("TLS handshake with " + url)
            .hasMessageContaining("trustCertificates");
        report("TLS failure (untrusted certificate)", error, Duration.ofNanos(System.nanoTime() - start));
      }
      assertThat(server.getRequestCount()).as("nothing sent over an untrusted connection").isZero();
    }
  }

  @Test
  void a503StormIsRetriedAFewTimesHonouringRetryAfterThenSurfaces() {
    ollama.enqueue(Fault.status(503, "{\"error\":\"server busy, please try again.  maximum pending requests exceeded\"}")
        .retryAfter(Duration.ofSeconds(1)).times(10));
    int before = ollama.requestCount();
    long start = System.nanoTime();
    Throwable error;
    try (OllamaClient client = client(b -> b.maxRetries(2).retryBackoff(Duration.ofMillis(50), Duration.ofSeconds(2)))) {
      error = assertTimeoutPreemptively(Duration.ofSeconds(30), () -> catching(() -> client.chat(chat())));
    }
    Duration took = Duration.ofNanos(System.nanoTime() - start);
    assertThat(error).isExactlyInstanceOf(OllamaHttpException.class).hasMessageStartingWith("HTTP 503");
    assertThat(((OllamaHttpException) error).retryAfter()).hasValue(Duration.ofSeconds(1));
    List<RecordedRequest> attempts = ollama.requests().subList(before, ollama.requestCount());
    assertThat(attempts).hasSize(3);
    for (int i = 1; i < attempts.size(); i++) {
      Duration gap = Duration.between(attempts.get(i - 1).receivedAt(), attempts.get(i).receivedAt());
      assertThat(gap).as("gap before attempt %d honours Retry-After: 1", i + 1)
          .isGreaterThanOrEqualTo(Duration.ofMillis(950)).isLessThan(Duration.ofSeconds(5));
    }
    assertThat(took).as("bounded: 2 waits of about 1 s").isLessThan(Duration.ofSeconds(10));
    report("503 storm, Retry-After 1 s, 2 retries", error, took);
    drainFaults();
  }

  @Test
  void a429IsTypedWithItsRetryAfter() {
    ollama.enqueue(Fault.status(429, "{\"error\":\"rate limit exceeded\"}").retryAfter(Duration.ofSeconds(30)));
    long start = System.nanoTime();
    try (OllamaClient client = client(b -> b.retryBackoff(Duration.ofMillis(50), Duration.ofSeconds(2)))) {
      Throwable error = assertTimeoutPreemptively(Duration.ofSeconds(30), () -> catching(() -> client.chat(chat())));
      assertThat(error).isExactlyInstanceOf(OllamaHttpException.class)
          .hasMessageStartingWith("HTTP 429")
          .hasMessageContaining("rate limit exceeded");
      assertThat(((OllamaHttpException) error).retryAfter()).hasValue(Duration.ofSeconds(30));
      report("429 with Retry-After 30 s (beyond max backoff: not waited)", error,
          Duration.ofNanos(System.nanoTime() - start));
    }
  }

  @Test
  void aProxysHtmlErrorPageIsTypedWithItsTitleNotTheWholePage() {
    String nginx502 = "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
        + "<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx/1.22.1</center>\r\n"
        + "</body>\r\n</html>\r\n";
    ollama.enqueue(Fault.status(502, nginx502).times(3));
    long start = System.nanoTime();
    try (OllamaClient client = client(b -> b.retryBackoff(Duration.ofMillis(10), Duration.ofMillis(50)))) {
      Throwable error = assertTimeoutPreemptively(Duration.ofSeconds(30), () -> catching(() -> client.chatStream(chat())));
      assertThat(error).isExactlyInstanceOf(OllamaHttpException.class)
          .hasMessageStartingWith("HTTP 502 from POST " + ollama.baseUrl() + "/api/chat: 502 Bad Gateway (an HTML page")
          .hasMessageContaining("HTML page")
          .hasMessageNotContaining("<")
          .hasMessageNotContaining("nginx/1.22.1");
      assertThat(((OllamaHttpException) error).status()).isEqualTo(502);
      report("proxy HTML 502 page (2 retries)", error, Duration.ofNanos(System.nanoTime() - start));
    }
  }

  @Test
  void afterEveryFaultTheNextCallOnTheSameClientWorks() {
    try (OllamaClient client = client(b -> b.maxRetries(0))) {
      for (Fault fault : List.of(Fault.dropAfter(2), Fault.errorAfter(1, "x"), Fault.endWithoutDone(3),
          Fault.dropMidCharacter(1), Fault.lineAfter(0, "nope"))) {
        ollama.enqueue(fault);
        assertThatThrownBy(() -> client.chatStream(chat()).forEach(chunk -> { }))
            .isInstanceOf(OllamaException.class);
        assertThat(client.chat(chat()).message().content()).isEqualTo(String.join("", TOKENS));
      }
    }
  }

  private static Throwable catching(Runnable call) {
    try {
      call.run();
      return new AssertionError("the call succeeded");
    } catch (OllamaException e) {
      return e;
    }
  }

  private void assertPoolIdle() {
    try {
      Await.until("every call to end and every connection back in the pool", Duration.ofSeconds(5),
          this::poolIdle);
    } catch (AssertionError e) {
      // the assertions below say which of the two it was
    }
    assertThat(ok.dispatcher().runningCallsCount()).as("calls still running").isZero();
    assertThat(ok.connectionPool().connectionCount())
        .as("connections checked out of the pool")
        .isEqualTo(ok.connectionPool().idleConnectionCount());
  }

  private boolean poolIdle() {
    return ok.dispatcher().runningCallsCount() == 0
        && ok.connectionPool().connectionCount() == ok.connectionPool().idleConnectionCount();
  }

  private static void drainFaults() {
    // A storm longer than the retries leaves faults queued; spend them so later tests start clean.
    try (OllamaClient client = OllamaClient.builder().baseUrl(ollama.baseUrl()).apiKey(KEY).maxRetries(0).build()) {
      for (int i = 0; i < 10; i++) {
        try {
          client.chat(chat());
          return;
        } catch (OllamaHttpException busy) {
          // one more spent
        }
      }
    }
  }

  private static synchronized void report(String name, Throwable error, Duration took) {
    String line = String.format(Locale.ROOT, "| %s | %s | %d ms |%n", name, error.getClass().getSimpleName(),
        took.toMillis());
    try {
      Files.writeString(REPORT, line, StandardCharsets.UTF_8, StandardOpenOption.APPEND);
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }
}
