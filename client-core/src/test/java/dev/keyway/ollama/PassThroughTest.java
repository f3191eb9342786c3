package dev.keyway.ollama;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.Socket;
import java.util.concurrent.CompletableFuture;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import okhttp3.mockwebserver.MockResponse;
import okhttp3.mockwebserver.RecordedRequest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The public pass-through seam that relays (Keyway's gateway) are built on. */
class PassThroughTest extends MockServerTest {
  static final String KEY = "kw-secret-pass-7Hq2";

  @Override
  OllamaClient client(OllamaClient.Builder builder) {
    return builder.apiKey(KEY).retryBackoff(Duration.ofMillis(1), Duration.ofMillis(5)).build();
  }

  @Test
  void postSendsTheBodyUnchangedWithTheCredentialAndRelaysTheAnswerByteForByte() throws Exception {
    String lines = "{\"message\":{\"content\":\"a\"},\"done\":false}\n{\"done\":true}\n";
    server.enqueue(ndjson(lines));
    byte[] body = "{\"model\":\"m\",\"unknown\":1,\"stream\":true}".getBytes(StandardCharsets.UTF_8);

    try (PassThroughResponse answer = client.passThrough(
        PassThroughRequest.post("api/chat", body).streaming(true))) {
      assertThat(answer.status()).isEqualTo(200);
      assertThat(answer.contentType()).isEqualTo("application/x-ndjson");
      assertThat(new String(answer.body().readAllBytes(), StandardCharsets.UTF_8)).isEqualTo(lines);
    }
    RecordedRequest recorded = server.takeRequest(5, TimeUnit.SECONDS);
    assertThat(recorded.getMethod()).isEqualTo("POST");
    assertThat(recorded.getPath()).isEqualTo("/api/chat");
    assertThat(recorded.getBody().readUtf8()).isEqualTo(new String(body, StandardCharsets.UTF_8));
    assertThat(recorded.getHeader("X-API-Key")).isEqualTo(KEY);
    assertThat(recorded.getHeader("Accept")).isEqualTo("application/x-ndjson");
    assertThat(recorded.getHeader("Accept-Encoding")).isEqualTo("identity");
  }

  /**
   * The relayed body's read timeout is kept by the client's stall watch, not by Okio around every
   * read: a stream that stops sending fails with a {@link java.net.SocketTimeoutException} after the
   * read timeout, and one that keeps sending slower than the timeout in total is relayed whole.
   */
  @Test
  void aRelayedStreamThatStallsLongerThanTheReadTimeoutFailsWithATimeout() throws Exception {
    String lines = "{\"message\":{\"content\":\"a\"},\"done\":false}\n{\"done\":true}\n";
    // the first 20 bytes (the 13-byte request body is read at once), then nothing for 5 s
    server.enqueue(ndjson(lines).throttleBody(20, 5, TimeUnit.SECONDS));
    RequestOptions shortRead = RequestOptions.builder().readTimeout(Duration.ofMillis(300)).build();

    try (PassThroughResponse answer = client.passThrough(PassThroughRequest.post("api/chat",
        "{\"model\":\"m\"}".getBytes(StandardCharsets.UTF_8)).streaming(true).options(shortRead))) {
      InputStream body = answer.body();
      assertThat(body.readNBytes(5)).hasSize(5);
      assertThatThrownBy(body::readAllBytes)
          .isInstanceOf(java.net.SocketTimeoutException.class)
          .message().doesNotContain(KEY);
    }
  }

  @Test
  void aRelayedStreamSlowerInTotalThanTheReadTimeoutIsRelayedWhole() throws Exception {
    StringBuilder lines = new StringBuilder();
    for (int i = 0; i < 8; i++) {
      lines.append("{\"message\":{\"content\":\"t").append(i).append("\"},\"done\":false}\n");
    }
    lines.append("{\"done\":true}\n");
    // one line about every 100 ms: about 0.9 s in all, each wait far below the 400 ms timeout
    server.enqueue(ndjson(lines.toString()).throttleBody(40, 100, TimeUnit.MILLISECONDS));
    RequestOptions shortRead = RequestOptions.builder().readTimeout(Duration.ofMillis(400)).build();

    try (PassThroughResponse answer = client.passThrough(PassThroughRequest.post("api/chat",
        "{\"model\":\"m\"}".getBytes(StandardCharsets.UTF_8)).streaming(true).options(shortRead))) {
      assertThat(new String(answer.body().readAllBytes(), StandardCharsets.UTF_8))
          .isEqualTo(lines.toString());
    }
  }

  @Test
  void anEchoedCredentialInAnyCaseIsRedactedEvenWhenSplitAcrossReads() throws Exception {
    String echo = "{\"headers\":{\"x-api-key\":\"" + KEY.toUpperCase() + "\"},\"again\":\"" + KEY + "\"}\n";
    // 3-byte chunks: every occurrence is split across reads.
    server.enqueue(new MockResponse().setHeader("Content-Type", "application/json").setChunkedBody(echo, 3));

    try (PassThroughResponse answer = client.passThrough(PassThroughRequest.get("api/version"))) {
      String relayed = new String(answer.body().readAllBytes(), StandardCharsets.UTF_8);
      assertThat(relayed.toLowerCase()).doesNotContain(KEY.toLowerCase());
      assertThat(relayed).isEqualTo("{\"headers\":{\"x-api-key\":\"[redacted]\"},\"again\":\"[redacted]\"}\n");
    }
  }

  @Test
  void maxAttemptsOnePassesA503AndItsRetryAfterAtOnce() throws Exception {
    server.enqueue(new MockResponse().setResponseCode(503).setHeader("Retry-After", "1")
        .setBody("{\"error\":\"server busy\"}"));
    server.enqueue(json("{\"version\":\"0.1\"}"));

    assertThatThrownBy(() -> client.passThrough(PassThroughRequest.get("api/version")
        .options(RequestOptions.builder().maxAttempts(1).build())))
        .isInstanceOfSatisfying(OllamaHttpException.class, e -> {
          assertThat(e.status()).isEqualTo(503);
          assertThat(e.retryAfter()).contains(Duration.ofSeconds(1));
        });
    assertThat(server.getRequestCount()).isEqualTo(1);
  }

  @Test
  void maxAttemptsPerServerOneIsOneAttemptOnASingleServer() throws Exception {
    // no Retry-After: the client's policy would retry this 503 at once (see the next test)
    server.enqueue(new MockResponse().setResponseCode(503).setBody("{\"error\":\"server busy\"}"));
    server.enqueue(json("{\"version\":\"0.1\"}"));

    assertThatThrownBy(() -> client.passThrough(PassThroughRequest.get("api/version")
        .options(RequestOptions.builder().maxAttemptsPerServer(1).build())))
        .isInstanceOfSatisfying(OllamaHttpException.class, e -> assertThat(e.status()).isEqualTo(503));
    assertThat(server.getRequestCount()).isEqualTo(1);
  }

  @Test
  void withoutMaxAttemptsTheClientsRetryPolicyApplies() throws Exception {
    server.enqueue(new MockResponse().setResponseCode(503).setBody("{\"error\":\"busy\"}"));
    server.enqueue(json("{\"version\":\"0.1\"}"));

    try (PassThroughResponse answer = client.passThrough(PassThroughRequest.get("api/version"))) {
      assertThat(answer.body().readAllBytes()).asString(StandardCharsets.UTF_8).contains("0.1");
    }
    assertThat(server.getRequestCount()).isEqualTo(2);
  }

  @Test
  void aLineIsHandedOutBeforeTheNextIsSent() throws Exception {
    try (RawHttpServer raw = new RawHttpServer();
        OllamaClient rawClient = OllamaClient.builder().baseUrl(raw.baseUrl()).apiKey(KEY).build()) {
      CompletableFuture<PassThroughResponse> opened = CompletableFuture.supplyAsync(() ->
          rawClient.passThrough(PassThroughRequest.post("api/generate", new byte[] {'{', '}'}).streaming(true)));
      Socket socket = raw.startStream();
      // "kw" could begin the credential, but the line's end decides it: nothing is held back.
      RawHttpServer.chunk(socket, "{\"response\":\"kw\"}\n");
      try (PassThroughResponse answer = opened.get(10, TimeUnit.SECONDS)) {
        byte[] buffer = new byte[64];
        int n = CompletableFuture.supplyAsync(() -> {
          try {
            return answer.body().read(buffer);
          } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
          }
        }).get(10, TimeUnit.SECONDS);
        assertThat(new String(buffer, 0, n, StandardCharsets.UTF_8)).isEqualTo("{\"response\":\"kw\"}\n");

        // A cancel from another thread ends the next, pending read and closes the connection.
        CompletableFuture<Void> canceller = CompletableFuture.runAsync(answer::cancel);
        assertThatThrownBy(() -> answer.body().readAllBytes()).isInstanceOf(java.io.IOException.class);
        canceller.get(10, TimeUnit.SECONDS);
        assertThat(RawHttpServer.clientClosed(socket, 10_000)).isTrue();
      }
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"/api/chat", "api/../x", "api/./chat", "http://evil.example/api/chat",
      "api/chat?x=1", "api/chat#f", "api//chat", "api/%2e%2e/x", "API/chat", "api", "api/chat/.."})
  void aPathThatCouldLeaveTheBaseUrlIsRefused(String path) {
    assertThatThrownBy(() -> PassThroughRequest.get(path))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void blobPathsAreAccepted() {
    assertThat(PassThroughRequest.get("api/blobs/sha256:0a1b").path()).isEqualTo("api/blobs/sha256:0a1b");
  }
}
