package dev.keyway.ollama.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class OllamaStandInFaultsTest {
  private static final String CHAT =
      "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}";
  private static final String CHAT_UNARY =
      "{\"model\":\"m\",\"stream\":false,\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}";

  private final OllamaStandIn ollama =
      OllamaStandIn.builder().model(ScriptedModel.named("m").tokens("a", "b", "c", "d", "e")).build();

  @AfterEach
  void close() {
    ollama.close();
  }

  @Test
  void errorAfterWritesInBandErrorLineAndKeeps200() {
    ollama.enqueue(Fault.errorAfter(2, "an error was encountered while running the model"));

    HttpResponse<String> response = Http.post(ollama, "/api/chat", CHAT);

    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(response.headers().firstValue("Content-Type")).hasValue("application/x-ndjson");
    List<JsonNode> lines = Http.lines(response.body());
    assertThat(lines).hasSize(3);
    assertThat(lines.get(1).at("/message/content").asText()).isEqualTo("b");
    assertThat(lines.get(2).toString())
        .isEqualTo("{\"error\":\"an error was encountered while running the model\"}");
    assertThat(response.body()).doesNotContain("\"done\":true");
  }

  @Test
  void errorAfterOnNonStreamedRequestIs500() {
    ollama.enqueue(Fault.errorAfter(2, "boom"));

    HttpResponse<String> response = Http.post(ollama, "/api/chat", CHAT_UNARY);

    assertThat(response.statusCode()).isEqualTo(500);
    assertThat(response.body()).isEqualTo("{\"error\":\"boom\"}");
  }

  @Test
  void dropAfterCutsChunkedBodyWithoutTerminatingChunk() throws IOException {
    ollama.enqueue(Fault.dropAfter(2));

    try (RawHttp raw = new RawHttp(ollama)) {
      raw.send("POST", "/api/chat", CHAT);
      RawHttp.Head head = raw.readHead();

      assertThat(head.status).isEqualTo(200);
      assertThat(head.header("Transfer-Encoding")).isEqualTo("chunked");
      assertThat(raw.readChunkText()).contains("\"content\":\"a\"");
      assertThat(raw.readChunkText()).contains("\"content\":\"b\"");
      assertThat(raw.atEof()).as("connection closed where the next chunk should start").isTrue();
    }
    assertThat(ollama.disconnects()).isZero();
  }

  @Test
  void dropAfterZeroClosesBeforeAnyResponse() throws IOException {
    ollama.enqueue(Fault.dropAfter(0));

    try (RawHttp raw = new RawHttp(ollama)) {
      raw.send("POST", "/api/chat", CHAT);

      assertThat(raw.atEof()).isTrue();
    }
  }

  @Test
  void dropMidCharacterCutsInsideUtf8Sequence() throws IOException {
    ollama.enqueue(Fault.dropMidCharacter(1));

    try (RawHttp raw = new RawHttp(ollama)) {
      raw.send("POST", "/api/chat", CHAT);
      raw.readHead();
      assertThat(raw.readChunkText()).contains("\"content\":\"a\"");

      assertThatThrownBy(raw::readChunk)
          .isInstanceOfSatisfying(RawHttp.TruncatedChunkException.class, e -> {
            assertThat(e.received.length).isLessThan(e.announced);
            assertThat(e.received[e.received.length - 1] & 0xFF).isEqualTo(0xC3); // lead byte of é
            assertThat(new String(e.received, StandardCharsets.ISO_8859_1)).contains("\"content\":\"");
          });
    }
  }

  @Test
  void endWithoutDoneEndsBodyCleanly() {
    ollama.enqueue(Fault.endWithoutDone(3));

    HttpResponse<String> response = Http.post(ollama, "/api/chat", CHAT);

    assertThat(response.statusCode()).isEqualTo(200);
    List<JsonNode> lines = Http.lines(response.body());
    assertThat(lines).hasSize(3);
    assertThat(lines).allSatisfy(line -> assertThat(line.get("done").asBoolean()).isFalse());
  }

  @Test
  void endWithoutDoneEndsWithTerminatingChunk() throws IOException {
    ollama.enqueue(Fault.endWithoutDone(1));

    try (RawHttp raw = new RawHttp(ollama)) {
      raw.send("POST", "/api/generate", "{\"model\":\"m\",\"prompt\":\"Hi\"}");
      raw.readHead();
      assertThat(raw.readChunkText()).contains("\"response\":\"a\"");
      assertThat(raw.readChunk()).isNull();
    }
  }

  @Test
  void faultBeyondLastTokenStrikesInsteadOfDone() {
    ollama.enqueue(Fault.errorAfter(99, "late"));

    List<JsonNode> lines = Http.lines(Http.post(ollama, "/api/chat", CHAT).body());

    assertThat(lines).hasSize(6);
    assertThat(lines.get(5).toString()).isEqualTo("{\"error\":\"late\"}");
  }

  @Test
  void statusFaultAnswersGivenTimesThenRecovers() {
    ollama.enqueue(Fault.status(503, "{\"error\":\"server busy, please try again.  maximum pending requests exceeded\"}")
        .retryAfter(Duration.ofMillis(1500)).times(2));

    for (int i = 0; i < 2; i++) {
      HttpResponse<String> busy = Http.post(ollama, "/api/chat", CHAT_UNARY);
      assertThat(busy.statusCode()).isEqualTo(503);
      assertThat(busy.headers().firstValue("Retry-After")).hasValue("2");
      assertThat(busy.headers().firstValue("Content-Type")).hasValue("application/json; charset=utf-8");
      assertThat(busy.body()).startsWith("{\"error\":\"server busy");
    }
    assertThat(Http.post(ollama, "/api/chat", CHAT_UNARY).statusCode()).isEqualTo(200);
    assertThat(ollama.requestCount()).isEqualTo(3);
  }

  @Test
  void statusFaultWithHtmlBodyIsAnErrorPage() {
    ollama.enqueue(Fault.status(502, "<html>Bad Gateway</html>").retryAfter("Wed, 21 Oct 2015 07:28:00 GMT"));

    HttpResponse<String> response = Http.post(ollama, "/api/generate", "{\"model\":\"m\",\"prompt\":\"Hi\"}");

    assertThat(response.statusCode()).isEqualTo(502);
    assertThat(response.headers().firstValue("Content-Type")).hasValue("text/html; charset=utf-8");
    assertThat(response.headers().firstValue("Retry-After")).hasValue("Wed, 21 Oct 2015 07:28:00 GMT");
    assertThat(response.body()).isEqualTo("<html>Bad Gateway</html>");
  }

  @Test
  void statusFaultWithTextBodyIsPlainText() {
    ollama.enqueue(Fault.status(401, "Unauthorized"));

    HttpResponse<String> response = Http.post(ollama, "/api/generate", "{\"model\":\"m\",\"prompt\":\"Hi\"}");

    assertThat(response.statusCode()).isEqualTo(401);
    assertThat(response.headers().firstValue("Content-Type")).hasValue("text/plain; charset=utf-8");
    assertThat(response.body()).isEqualTo("Unauthorized");
  }

  @Test
  void lineAfterWritesTheRawLineThenEndsWithoutDone() {
    ollama.enqueue(Fault.lineAfter(2, "{\"model\":\"m\",\"message\":"));

    HttpResponse<String> response = Http.post(ollama, "/api/chat", CHAT);

    assertThat(response.statusCode()).isEqualTo(200);
    String[] lines = response.body().split("\n");
    assertThat(lines).hasSize(3);
    assertThat(lines[2]).isEqualTo("{\"model\":\"m\",\"message\":");
    assertThat(lines[1]).contains("\"done\":false");
  }

  @Test
  void lineAfterRefusesALineBreak() {
    assertThatThrownBy(() -> Fault.lineAfter(1, "a\nb")).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void faultsAreTakenInOrderByChatAndGenerateOnly() {
    ollama.enqueue(Fault.status(429, "{\"error\":\"rate limit exceeded\"}"));
    ollama.enqueue(Fault.status(500, "{\"error\":\"second\"}"));

    assertThat(Http.get(ollama, "/api/tags").statusCode()).isEqualTo(200);
    assertThat(Http.post(ollama, "/api/generate", "{\"model\":\"m\",\"prompt\":\"Hi\"}").statusCode()).isEqualTo(429);
    assertThat(Http.post(ollama, "/api/chat", CHAT).statusCode()).isEqualTo(500);
    assertThat(Http.post(ollama, "/api/chat", CHAT).statusCode()).isEqualTo(200);
  }

  @Test
  void slowFirstByteDelaysTheResponseHead() {
    ollama.enqueue(Fault.slowFirstByte(Duration.ofMillis(300)));

    long start = System.nanoTime();
    HttpResponse<String> response = Http.post(ollama, "/api/chat", CHAT_UNARY);
    long elapsedMillis = (System.nanoTime() - start) / 1_000_000;

    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(elapsedMillis).isGreaterThanOrEqualTo(250);
  }

  @Test
  void stallAfterPausesMidStream() throws IOException {
    ollama.enqueue(Fault.stallAfter(2, Duration.ofMillis(400)));

    List<Long> arrivals = new ArrayList<>();
    List<String> lines = new ArrayList<>();
    HttpResponse<InputStream> response = sendStreaming(CHAT);
    try (BufferedReader reader =
        new BufferedReader(new InputStreamReader(response.body(), StandardCharsets.UTF_8))) {
      for (String line = reader.readLine(); line != null; line = reader.readLine()) {
        arrivals.add(System.nanoTime());
        lines.add(line);
      }
    }

    assertThat(lines).hasSize(6);
    assertThat(lines.get(5)).contains("\"done\":true");
    long gapMillis = (arrivals.get(2) - arrivals.get(1)) / 1_000_000;
    assertThat(gapMillis).isGreaterThanOrEqualTo(200); // 400 ms nominal; the margin absorbs a slow reader
  }

  @Test
  void streamFaultSpentByRequestThatFailsOnItsOwn() {
    ollama.enqueue(Fault.errorAfter(0, "never seen"));

    assertThat(Http.post(ollama, "/api/chat", "{\"model\":\"other\",\"messages\":[]}").statusCode()).isEqualTo(404);
    assertThat(Http.post(ollama, "/api/chat", CHAT).body()).doesNotContain("never seen");
  }

  private HttpResponse<InputStream> sendStreaming(String body) {
    try {
      return Http.CLIENT.send(
          Http.request(ollama, "/api/chat")
              .POST(java.net.http.HttpRequest.BodyPublishers.ofString(body))
              .build(),
          HttpResponse.BodyHandlers.ofInputStream());
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }
}
