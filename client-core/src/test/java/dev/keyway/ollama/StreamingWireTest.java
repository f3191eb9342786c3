package dev.keyway.ollama;

import static org.awaitility.Awaitility.await;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.keyway.ollama.model.ChatRequest;
import dev.keyway.ollama.model.ChatResponse;
import dev.keyway.ollama.model.GenerateRequest;
import dev.keyway.ollama.model.GenerateResponse;
import dev.keyway.ollama.model.Message;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Byte-exact NDJSON framing: each test controls exactly which bytes the client has seen. */
@Timeout(value = 30, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class StreamingWireTest {
  static final String DONE =
      "{\"model\":\"m\",\"created_at\":\"2026-08-20T14:05:03Z\",\"message\":{\"role\":\"assistant\","
          + "\"content\":\"\"},\"done\":true,\"done_reason\":\"stop\",\"eval_count\":2}\n";

  RawHttpServer server;
  OllamaClient client;

  @BeforeEach
  void setUp() throws Exception {
    server = new RawHttpServer();
    client = OllamaClient.builder().baseUrl(server.baseUrl()).maxRetries(0).build();
  }

  @AfterEach
  void tearDown() throws Exception {
    client.close();
    server.close();
  }

  static String token(String text) {
    return "{\"model\":\"m\",\"created_at\":\"2026-08-20T14:05:02.1Z\",\"message\":{\"role\":\"assistant\","
        + "\"content\":\"" + text + "\"},\"done\":false}\n";
  }

  static ChatRequest request() {
    return ChatRequest.builder().model("m").addMessage(Message.user("hi")).build();
  }

  /** Opens the stream on another thread: the call returns only once the response head arrived. */
  CompletableFuture<OllamaStream<ChatResponse>> open() {
    return CompletableFuture.supplyAsync(() -> client.chatStream(request()));
  }

  @Test
  void eachTokenReachesTheCallerBeforeTheNextLineIsSent() throws Exception {
    CompletableFuture<OllamaStream<ChatResponse>> opening = open();
    Socket s = server.startStream();
    try (OllamaStream<ChatResponse> stream = opening.get(10, TimeUnit.SECONDS)) {
      Iterator<ChatResponse> it = stream.iterator();
      // Gate every write on the caller having received the previous token: a client that held a
      // line back waiting for more bytes would hang here and fail on the timeout.
      for (String t : List.of("The", " sky", " is")) {
        RawHttpServer.chunk(s, token(t));
        assertThat(it.next().message().content()).isEqualTo(t);
      }
      RawHttpServer.chunk(s, DONE);
      assertThat(it.next().done()).isTrue();
      assertThat(it.hasNext()).isFalse();
      assertThat(stream.result().message().content()).isEqualTo("The sky is");
    }
    assertThat(server.requestBody()).contains("\"stream\":true");
  }

  @Test
  void utf8CharacterSplitAcrossReadsDecodes() throws Exception {
    CompletableFuture<OllamaStream<ChatResponse>> opening = open();
    Socket s = server.startStream();
    byte[] line = token("λ€😀").getBytes(StandardCharsets.UTF_8);
    int cut = new String(line, StandardCharsets.ISO_8859_1).indexOf('\u00ce') + 1; // inside λ (CE BB)
    try (OllamaStream<ChatResponse> stream = opening.get(10, TimeUnit.SECONDS)) {
      Iterator<ChatResponse> it = stream.iterator();
      // One write: a whole token, then the line cut inside λ. The client has read it once the
      // token reaches the caller, and the rest of the line is not sent before that.
      byte[] first = token("a").getBytes(StandardCharsets.UTF_8);
      byte[] head = java.util.Arrays.copyOf(first, first.length + cut);
      System.arraycopy(line, 0, head, first.length, cut);
      RawHttpServer.chunk(s, head);
      assertThat(it.next().message().content()).isEqualTo("a");
      RawHttpServer.chunk(s, java.util.Arrays.copyOfRange(line, cut, line.length));
      RawHttpServer.chunk(s, DONE);
      RawHttpServer.end(s);
      assertThat(it.next().message().content()).isEqualTo("λ€😀");
      assertThat(stream.result().message().content()).isEqualTo("aλ€😀");
    }
  }

  @Test
  void crlfEndingsBlankLinesAndSeveralLinesPerChunkAreRead() throws Exception {
    CompletableFuture<OllamaStream<ChatResponse>> opening = open();
    Socket s = server.startStream();
    try (OllamaStream<ChatResponse> stream = opening.get(10, TimeUnit.SECONDS)) {
      RawHttpServer.chunk(s, token("a").replace("\n", "\r\n") + "\r\n\n  \n" + token("b"));
      RawHttpServer.chunk(s, token("c").substring(0, 10));
      RawHttpServer.chunk(s, token("c").substring(10) + DONE);
      RawHttpServer.end(s);
      List<String> tokens = new ArrayList<>();
      for (ChatResponse chunk : stream) {
        tokens.add(chunk.message().content());
      }
      assertThat(tokens).containsExactly("a", "b", "c", "");
    }
  }

  @Test
  void lineLongerThan16MiBDecodes() throws Exception {
    String big = "x".repeat(17 * 1024 * 1024);
    CompletableFuture<OllamaStream<ChatResponse>> opening = open();
    Socket s = server.startStream();
    try (OllamaStream<ChatResponse> stream = opening.get(10, TimeUnit.SECONDS)) {
      // Read while writing: 17 MiB does not fit in the socket buffers.
      CompletableFuture<Integer> length =
          CompletableFuture.supplyAsync(() -> stream.iterator().next().message().content().length());
      byte[] line = token(big).getBytes(StandardCharsets.UTF_8);
      for (int i = 0; i < line.length; i += 1 << 20) {
        RawHttpServer.chunk(s, java.util.Arrays.copyOfRange(line, i, Math.min(line.length, i + (1 << 20))));
      }
      RawHttpServer.chunk(s, DONE);
      RawHttpServer.end(s);
      assertThat(length.get(20, TimeUnit.SECONDS)).isEqualTo(big.length());
    }
  }

  @Test
  void lastLineWithoutTrailingNewlineIsRead() throws Exception {
    CompletableFuture<OllamaStream<ChatResponse>> opening = open();
    Socket s = server.startStream();
    try (OllamaStream<ChatResponse> stream = opening.get(10, TimeUnit.SECONDS)) {
      RawHttpServer.chunk(s, token("a") + DONE.strip());
      RawHttpServer.end(s);
      assertThat(stream.result().doneReason()).isEqualTo("stop");
    }
  }

  @Test
  void inBandErrorAfterTokensThrowsAfterDeliveringThem() throws Exception {
    CompletableFuture<OllamaStream<ChatResponse>> opening = open();
    Socket s = server.startStream();
    List<String> seen = new ArrayList<>();
    try (OllamaStream<ChatResponse> stream = opening.get(10, TimeUnit.SECONDS)) {
      RawHttpServer.chunk(s, token("one") + token("two")
          + "{\"error\":\"model runner has unexpectedly stopped\"}\n");
      RawHttpServer.end(s);
      assertThatThrownBy(() -> stream.forEach(c -> seen.add(c.message().content())))
          .isInstanceOfSatisfying(OllamaStreamException.class, e -> {
            assertThat(e.serverMessage()).isEqualTo("model runner has unexpectedly stopped");
            assertThat(e.chunksReceived()).isEqualTo(2);
            assertThat(e).hasMessageContaining("model runner has unexpectedly stopped");
          });
      assertThatThrownBy(stream::result).isInstanceOf(OllamaStreamException.class);
    }
    assertThat(seen).containsExactly("one", "two");
  }

  @Test
  void tokenWhoseTextIsTheWordErrorIsNotMistakenForAnErrorLine() throws Exception {
    CompletableFuture<OllamaStream<ChatResponse>> opening = open();
    Socket s = server.startStream();
    try (OllamaStream<ChatResponse> stream = opening.get(10, TimeUnit.SECONDS)) {
      RawHttpServer.chunk(s, token("error") + DONE);
      RawHttpServer.end(s);
      assertThat(stream.result().message().content()).isEqualTo("error");
    }
  }

  @Test
  void streamThatEndsCleanlyWithoutDoneThrows() throws Exception {
    CompletableFuture<OllamaStream<ChatResponse>> opening = open();
    Socket s = server.startStream();
    try (OllamaStream<ChatResponse> stream = opening.get(10, TimeUnit.SECONDS)) {
      RawHttpServer.chunk(s, token("partial"));
      RawHttpServer.end(s);
      Iterator<ChatResponse> it = stream.iterator();
      assertThat(it.next().message().content()).isEqualTo("partial");
      assertThatThrownBy(it::hasNext)
          .isInstanceOf(OllamaStreamException.class)
          .hasMessageContaining("without a \"done\": true chunk");
      assertThatThrownBy(stream::result).isInstanceOf(OllamaStreamException.class);
    }
  }

  @Test
  void connectionDroppedMidStreamThrowsTransportException() throws Exception {
    CompletableFuture<OllamaStream<ChatResponse>> opening = open();
    Socket s = server.startStream();
    try (OllamaStream<ChatResponse> stream = opening.get(10, TimeUnit.SECONDS)) {
      RawHttpServer.chunk(s, token("partial"));
      s.close(); // no terminating chunk
      Iterator<ChatResponse> it = stream.iterator();
      assertThat(it.next().message().content()).isEqualTo("partial");
      assertThatThrownBy(it::hasNext)
          .isInstanceOf(OllamaTransportException.class)
          .hasMessageContaining("after 1 chunk(s)");
    }
  }

  @Test
  void malformedLineThrowsWithAShortExcerpt() throws Exception {
    CompletableFuture<OllamaStream<ChatResponse>> opening = open();
    Socket s = server.startStream();
    try (OllamaStream<ChatResponse> stream = opening.get(10, TimeUnit.SECONDS)) {
      RawHttpServer.chunk(s, token("ok") + "<html>" + "y".repeat(500) + "\n");
      RawHttpServer.end(s);
      assertThatThrownBy(stream::result)
          .isInstanceOf(OllamaStreamException.class)
          .hasMessageContaining("Line 2")
          .hasMessageContaining("<html>yyy")
          .satisfies(e -> assertThat(e.getMessage()).hasSizeLessThan(600));
    }
  }

  @Test
  void closingEarlyCancelsTheCallSoTheServerSeesTheDisconnect() throws Exception {
    CompletableFuture<OllamaStream<ChatResponse>> opening = open();
    Socket s = server.startStream();
    OllamaStream<ChatResponse> stream = opening.get(10, TimeUnit.SECONDS);
    RawHttpServer.chunk(s, token("first"));
    assertThat(stream.iterator().next().message().content()).isEqualTo("first");
    assertThat(RawHttpServer.clientClosed(s, 200)).isFalse();
    stream.close();
    assertThat(RawHttpServer.clientClosed(s, 5000)).isTrue();
    assertThatThrownBy(stream::result)
        .isInstanceOf(OllamaStreamException.class)
        .hasMessageContaining("closed after 1 chunk(s)");
  }

  @Test
  void closeFromAnotherThreadEndsIterationQuietly() throws Exception {
    CompletableFuture<OllamaStream<ChatResponse>> opening = open();
    Socket s = server.startStream();
    OllamaStream<ChatResponse> stream = opening.get(10, TimeUnit.SECONDS);
    RawHttpServer.chunk(s, token("first"));
    List<String> got = new java.util.concurrent.CopyOnWriteArrayList<>();
    java.util.concurrent.atomic.AtomicReference<Thread> readingThread = new java.util.concurrent.atomic.AtomicReference<>();
    CompletableFuture<List<String>> reader = CompletableFuture.supplyAsync(() -> {
      readingThread.set(Thread.currentThread());
      stream.forEach(c -> got.add(c.message().content()));
      return got;
    });
    // Close once the reader has the first token and is blocked reading the socket for the next.
    await("the reader to block on the socket after the first token").atMost(Duration.ofSeconds(5)).until(() -> got.size() == 1 && inSocketRead(readingThread.get()));
    stream.close();
    assertThat(reader.get(5, TimeUnit.SECONDS)).containsExactly("first");
    assertThat(RawHttpServer.clientClosed(s, 5000)).isTrue();
  }

  /**
   * Whether {@code t} is blocked reading a socket (the JDK's socket input, under Okio; on plain
   * http, Keyway's sockets are channel-backed and read through the channel's socket adaptor).
   */
  static boolean inSocketRead(Thread t) {
    if (t == null) {
      return false;
    }
    for (StackTraceElement frame : t.getStackTrace()) {
      String method = frame.getMethodName();
      if ((method.startsWith("read") || method.equals("blockingRead"))
          && (frame.getClassName().equals("sun.nio.ch.NioSocketImpl")
              || frame.getClassName().equals("sun.nio.ch.SocketChannelImpl")
              || frame.getClassName().equals("java.net.SocketInputStream"))) {
        return true;
      }
    }
    return false;
  }

  @Test
  void generateStreamJoinsResponseAndKeepsContext() throws Exception {
    CompletableFuture<OllamaStream<GenerateResponse>> opening = CompletableFuture.supplyAsync(
        () -> client.generateStream(GenerateRequest.builder().model("m").prompt("p").build()));
    Socket s = server.startStream();
    try (OllamaStream<GenerateResponse> stream = opening.get(10, TimeUnit.SECONDS)) {
      RawHttpServer.chunk(s, "{\"model\":\"m\",\"response\":\"Hel\",\"done\":false}\n"
          + "{\"model\":\"m\",\"response\":\"lo\",\"done\":false}\n"
          + "{\"model\":\"m\",\"response\":\"\",\"done\":true,\"done_reason\":\"stop\",\"context\":[1,2,3]}\n");
      RawHttpServer.end(s);
      GenerateResponse whole = stream.result();
      assertThat(whole.response()).isEqualTo("Hello");
      assertThat(whole.context()).containsExactly(1, 2, 3);
    }
    assertThat(server.requestHead()).startsWith("POST /api/generate HTTP/1.1");
    assertThat(server.requestBody()).contains("\"stream\":true").contains("\"prompt\":\"p\"");
  }
}
