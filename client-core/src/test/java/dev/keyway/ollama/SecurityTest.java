package dev.keyway.ollama;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.keyway.ollama.model.ChatRequest;
import dev.keyway.ollama.model.Message;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetAddress;
import java.util.concurrent.atomic.AtomicInteger;
import okhttp3.mockwebserver.MockResponse;
import okhttp3.mockwebserver.MockWebServer;
import okhttp3.mockwebserver.RecordedRequest;
import okhttp3.tls.HandshakeCertificates;
import okhttp3.tls.HeldCertificate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The credential goes to the configured origin only, and is never printed. */
class SecurityTest {
  static final String KEY = "kw-secret-live-7c1e2d3f";
  static final ChatRequest CHAT = ChatRequest.builder().model("m").addMessage(Message.user("hi")).build();
  static final String OK = "{\"models\":[]}";

  MockWebServer origin;
  MockWebServer elsewhere;

  @BeforeEach
  void setUp() throws Exception {
    origin = new MockWebServer();
    origin.start();
    elsewhere = new MockWebServer();
    elsewhere.start(); // same host, other port: another origin
  }

  @AfterEach
  void tearDown() throws Exception {
    origin.shutdown();
    elsewhere.shutdown();
  }

  static String stackTrace(Throwable t) {
    StringWriter out = new StringWriter();
    t.printStackTrace(new PrintWriter(out));
    return out.toString();
  }

  @ParameterizedTest
  @ValueSource(ints = {301, 302, 307, 308})
  void redirectToAnotherOriginCarriesNoCustomHeaderCredential(int status) throws Exception {
    origin.enqueue(new MockResponse().setResponseCode(status)
        .setHeader("Location", elsewhere.url("/api/tags").toString()));
    elsewhere.enqueue(new MockResponse().setBody(OK));
    try (OllamaClient client = OllamaClient.builder().baseUrl(origin.url("/").toString()).apiKey(KEY).build()) {
      client.listModels();
    }
    assertThat(origin.takeRequest().getHeader("X-API-Key")).isEqualTo(KEY);
    RecordedRequest redirected = elsewhere.takeRequest();
    assertThat(redirected.getHeaders().toMultimap().toString()).doesNotContain(KEY);
    assertThat(redirected.getHeader("X-API-Key")).isNull();
  }

  @Test
  void redirectToAnotherOriginCarriesNoBearerToken() throws Exception {
    origin.enqueue(new MockResponse().setResponseCode(307)
        .setHeader("Location", elsewhere.url("/api/tags").toString()));
    elsewhere.enqueue(new MockResponse().setBody(OK));
    try (OllamaClient client = OllamaClient.builder().baseUrl(origin.url("/").toString()).bearerToken(KEY).build()) {
      client.listModels();
    }
    assertThat(origin.takeRequest().getHeader("Authorization")).isEqualTo("Bearer " + KEY);
    assertThat(elsewhere.takeRequest().getHeader("Authorization")).isNull();
  }

  @Test
  void redirectWithinTheOriginKeepsTheCredential() throws Exception {
    origin.enqueue(new MockResponse().setResponseCode(307).setHeader("Location", "/v2/api/tags"));
    origin.enqueue(new MockResponse().setBody(OK));
    try (OllamaClient client = OllamaClient.builder().baseUrl(origin.url("/").toString()).apiKey(KEY).build()) {
      client.listModels();
    }
    origin.takeRequest();
    RecordedRequest second = origin.takeRequest();
    assertThat(second.getPath()).isEqualTo("/v2/api/tags");
    assertThat(second.getHeader("X-API-Key")).isEqualTo(KEY);
  }

  @Test
  void redirectFromHttpsToHttpIsRefused() throws Exception {
    HeldCertificate root = new HeldCertificate.Builder().certificateAuthority(0).build();
    HeldCertificate leaf = new HeldCertificate.Builder().signedBy(root)
        .addSubjectAlternativeName(InetAddress.getLoopbackAddress().getHostName())
        .addSubjectAlternativeName("127.0.0.1").build();
    MockWebServer tls = new MockWebServer();
    tls.useHttps(new HandshakeCertificates.Builder().heldCertificate(leaf).build().sslSocketFactory(), false);
    tls.start();
    try {
      tls.enqueue(new MockResponse().setResponseCode(302)
          .setHeader("Location", elsewhere.url("/api/tags").toString()));
      try (OllamaClient client = OllamaClient.builder().baseUrl(tls.url("/").toString())
          .trustCertificatesPem(root.certificatePem()).apiKey(KEY).build()) {
        assertThatThrownBy(client::listModels)
            .isInstanceOf(OllamaException.class)
            .hasMessageContaining("does not follow redirects that change the scheme (https to http")
            .hasMessageNotContaining(KEY);
      }
      assertThat(elsewhere.getRequestCount()).isZero();
    } finally {
      tls.shutdown();
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"abc\r\nX-Evil: 1", "abc\n", "abc\r", "a\u0000b", "ключ"})
  void keyWithControlOrNonAsciiCharactersIsRefusedWithoutEchoingIt(String bad) {
    assertThatThrownBy(() -> OllamaClient.builder().apiKey(bad))
        .isInstanceOf(IllegalArgumentException.class)
        .satisfies(e -> assertThat(e.getMessage()).doesNotContain(bad).doesNotContain("abc"));
    assertThatThrownBy(() -> OllamaClient.builder().bearerToken(bad)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> Credential.header("X-Custom-Auth", bad)).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void headerNameWithInjectionIsRefused() {
    assertThatThrownBy(() -> Credential.header("X-A\r\nX-B", "v")).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> Credential.header("X A", "v")).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void supplierThatReturnsABadValueIsRefusedPerRequestWithoutEchoingIt() throws Exception {
    origin.enqueue(new MockResponse().setBody(OK));
    try (OllamaClient client = OllamaClient.builder().baseUrl(origin.url("/").toString())
        .credential(Credential.bearer(() -> KEY + "\r\nX-Injected: yes")).build()) {
      assertThatThrownBy(client::listModels)
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("line break")
          .satisfies(e -> assertThat(stackTrace(e)).doesNotContain(KEY));
    }
    assertThat(origin.getRequestCount()).isZero();
  }

  @Test
  void rotatingCredentialIsReadOnEveryRequest() throws Exception {
    AtomicInteger version = new AtomicInteger();
    origin.enqueue(new MockResponse().setBody(OK));
    origin.enqueue(new MockResponse().setBody(OK));
    try (OllamaClient client = OllamaClient.builder().baseUrl(origin.url("/").toString())
        .credential(Credential.bearer(() -> "kw-secret-token-" + version.incrementAndGet())).build()) {
      client.listModels();
      client.listModels();
    }
    assertThat(origin.takeRequest().getHeader("Authorization")).isEqualTo("Bearer kw-secret-token-1");
    assertThat(origin.takeRequest().getHeader("Authorization")).isEqualTo("Bearer kw-secret-token-2");
  }

  @Test
  void customHeaderCredentialIsSent() throws Exception {
    origin.enqueue(new MockResponse().setBody(OK));
    try (OllamaClient client = OllamaClient.builder().baseUrl(origin.url("/").toString())
        .credential(Credential.header("X-Custom-Auth", KEY)).build()) {
      client.listModels();
    }
    assertThat(origin.takeRequest().getHeader("X-Custom-Auth")).isEqualTo(KEY);
  }

  @Test
  void toStringsNeverShowTheKey() {
    Credential credential = Credential.apiKey(KEY);
    assertThat(credential.toString()).contains("X-API-Key").doesNotContain(KEY);
    assertThat(Credential.bearer(KEY).toString()).doesNotContain(KEY);
    try (OllamaClient client = OllamaClient.builder().baseUrl(origin.url("/").toString()).credential(credential).build()) {
      assertThat(client.toString()).contains("X-API-Key").doesNotContain(KEY);
    }
  }

  @Test
  void noLogLineAtAnyLevelAndNoExceptionContainsTheKey() throws Exception {
    origin.enqueue(new MockResponse().setResponseCode(401).setBody("Unauthorized"));
    origin.enqueue(new MockResponse().setResponseCode(503).setBody("{\"error\":\"busy\"}"));
    origin.enqueue(new MockResponse().setBody(OK));
    origin.enqueue(new MockResponse().setHeader("Content-Type", "application/x-ndjson")
        .setBody("{\"error\":\"boom " + KEY + "\"}\n"));
    try (LogCapture logs = new LogCapture();
        OllamaClient client = OllamaClient.builder().baseUrl(origin.url("/").toString())
            .apiKey(KEY).retryBackoff(java.time.Duration.ofMillis(1), java.time.Duration.ofMillis(1)).build()) {
      Throwable auth = org.assertj.core.api.Assertions.catchThrowable(client::listModels);
      client.listModels(); // 503 then 200
      Throwable inBand = org.assertj.core.api.Assertions.catchThrowable(() -> client.chatStream(CHAT).result());
      assertThat(stackTrace(auth)).doesNotContain(KEY);
      assertThat(stackTrace(inBand)).doesNotContain(KEY).contains("[redacted]");
      assertThat(logs.lines()).anyMatch(l -> l.contains("/api/tags"));
      assertThat(logs.all()).doesNotContain(KEY);
    }
  }

  @Test
  void plainHttpToARemoteHostLogsOneWarningNamingTheHost() {
    try (LogCapture logs = new LogCapture();
        OllamaClient client = OllamaClient.builder().baseUrl("http://ollama.internal.example:11434")
            .apiKey(KEY).build()) {
      assertThat(logs.lines()).filteredOn(l -> l.startsWith("WARNING"))
          .singleElement().asString().contains("ollama.internal.example").doesNotContain(KEY);
    }
  }

  @Test
  void plainHttpToLoopbackOrWithoutCredentialDoesNotWarn() {
    try (LogCapture logs = new LogCapture();
        OllamaClient local = OllamaClient.builder().baseUrl("http://localhost:11434").apiKey(KEY).build();
        OllamaClient anonymous = OllamaClient.builder().baseUrl("http://ollama.internal.example").build()) {
      assertThat(logs.lines()).noneMatch(l -> l.startsWith("WARNING"));
    }
  }

  @Test
  void requireHttpsRefusesPlainHttpToARemoteHost() {
    assertThatThrownBy(() -> OllamaClient.builder().baseUrl("http://ollama.internal.example")
            .apiKey(KEY).requireHttps(true).build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("ollama.internal.example")
        .hasMessageContaining("https://")
        .hasMessageNotContaining(KEY);
  }

  @Test
  void baseUrlWithUserInfoIsRefusedWithoutEchoingThePassword() {
    assertThatThrownBy(() -> OllamaClient.builder().baseUrl("https://user:" + KEY + "@ollama.example.com"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageNotContaining(KEY);
  }

  @Test
  void credentialIsNotAddedToTheCallersOwnOkHttpClient() throws Exception {
    okhttp3.OkHttpClient shared = new okhttp3.OkHttpClient();
    origin.enqueue(new MockResponse().setBody(OK));
    try (OllamaClient client = OllamaClient.builder().baseUrl(origin.url("/").toString())
        .okHttpClient(shared).apiKey(KEY).build()) {
      client.listModels();
    }
    origin.enqueue(new MockResponse().setBody(OK));
    shared.newCall(new okhttp3.Request.Builder().url(origin.url("/api/tags")).build()).execute().close();
    assertThat(origin.takeRequest().getHeader("X-API-Key")).isEqualTo(KEY);
    assertThat(origin.takeRequest().getHeader("X-API-Key")).isNull();
    assertThat(shared.networkInterceptors()).isEmpty();
  }
}
