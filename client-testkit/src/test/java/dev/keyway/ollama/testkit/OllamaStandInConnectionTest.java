package dev.keyway.ollama.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Streaming on the wire, token timing, disconnects, keep-alive and close(). */
class OllamaStandInConnectionTest {
  private static final String CHAT =
      "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}";

  @Test
  void streamSendsOneHttpChunkPerNdjsonLine() throws IOException {
    try (OllamaStandIn ollama = OllamaStandIn.builder()
            .model(ScriptedModel.named("m").tokens("Hel", "lo", " wörld")).build();
        RawHttp raw = new RawHttp(ollama)) {
      raw.send("POST", "/api/chat", CHAT, "Content-Type", "application/json");
      RawHttp.Head head = raw.readHead();

      assertThat(head.status).isEqualTo(200);
      assertThat(head.header("Content-Type")).isEqualTo("application/x-ndjson");
      assertThat(head.header("Transfer-Encoding")).isEqualTo("chunked");
      assertThat(head.header("Content-Length")).isNull();
      List<String> chunks = new ArrayList<>();
      for (String chunk = raw.readChunkText(); chunk != null; chunk = raw.readChunkText()) {
        chunks.add(chunk);
      }
      assertThat(chunks).hasSize(4).allSatisfy(chunk -> {
        assertThat(chunk).endsWith("\n");
        assertThat(chunk.indexOf('\n')).isEqualTo(chunk.length() - 1);
      });
      assertThat(chunks.get(2)).contains("\"content\":\" wörld\"");
      assertThat(chunks.get(3)).contains("\"done\":true");
    }
  }

  @Test
  void tokenDelaySpacesTheChunks() throws IOException {
    Duration delay = Duration.ofMillis(80);
    try (OllamaStandIn ollama = OllamaStandIn.builder()
        .model(ScriptedModel.named("m").tokens("one", " two", " three", " four", " five").tokenDelay(delay))
        .build()) {
      HttpResponse<InputStream> response = Http.CLIENT.send(
          Http.request(ollama, "/api/chat").POST(HttpRequest.BodyPublishers.ofString(CHAT)).build(),
          HttpResponse.BodyHandlers.ofInputStream());
      List<String> lines = new ArrayList<>();
      List<Long> arrivals = new ArrayList<>();
      try (BufferedReader reader =
          new BufferedReader(new InputStreamReader(response.body(), StandardCharsets.UTF_8))) {
        for (String line = reader.readLine(); line != null; line = reader.readLine()) {
          arrivals.add(System.nanoTime());
          lines.add(line);
        }
      }

      assertThat(lines).hasSize(6);
      assertThat(lines.get(0)).contains("\"content\":\"one\"");
      assertThat(lines.get(4)).contains("\"content\":\" five\"");
      assertThat(lines.get(5)).contains("\"done\":true");
      // four more delays follow the first token, so it cannot have come with the last one
      long firstToLastMillis = (arrivals.get(5) - arrivals.get(0)) / 1_000_000;
      assertThat(firstToLastMillis).isGreaterThanOrEqualTo(delay.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  @Test
  void clientClosingMidStreamIsCountedAsDisconnect() throws IOException {
    try (OllamaStandIn ollama = OllamaStandIn.builder()
        .model(ScriptedModel.named("m").answer("a b c d e f g h i j k l m n o p q r s t")
            .tokenDelay(Duration.ofMillis(50)))
        .build()) {
      try (RawHttp raw = new RawHttp(ollama)) {
        raw.send("POST", "/api/chat", CHAT);
        raw.readHead();
        assertThat(raw.readChunkText()).contains("\"content\":\"a\"");
      }

      assertThat(ollama.awaitDisconnect(Duration.ofSeconds(5))).isTrue();
      assertThat(ollama.disconnects()).isEqualTo(1);
      assertThat(Http.get(ollama, "/api/version").statusCode()).isEqualTo(200);
    }
  }

  @Test
  void clientGivingUpDuringStallIsNoticedBeforeTheStallEnds() throws IOException {
    try (OllamaStandIn ollama = OllamaStandIn.builder().model(ScriptedModel.named("m")).build()) {
      ollama.enqueue(Fault.stallAfter(1, Duration.ofSeconds(30)));
      try (RawHttp raw = new RawHttp(ollama)) {
        raw.send("POST", "/api/chat", CHAT);
        raw.readHead();
        raw.readChunk();
      }

      assertThat(ollama.awaitDisconnect(Duration.ofSeconds(5))).isTrue();
    }
  }

  @Test
  void noDisconnectWhenStreamsFinish() {
    try (OllamaStandIn ollama = OllamaStandIn.builder().model(ScriptedModel.named("m")).build()) {
      Http.post(ollama, "/api/chat", CHAT);

      assertThat(ollama.awaitDisconnect(Duration.ofMillis(100))).isFalse();
      assertThat(ollama.disconnects()).isZero();
    }
  }

  @Test
  void keepAliveServesSeveralRequestsOnOneConnection() throws IOException {
    try (OllamaStandIn ollama = OllamaStandIn.builder().model(ScriptedModel.named("m")).build();
        RawHttp raw = new RawHttp(ollama)) {
      raw.send("GET", "/api/version", "");
      RawHttp.Head first = raw.readHead();
      assertThat(first.header("Connection")).isNull();
      assertThat(raw.readBody(first)).isEqualTo("{\"version\":\"0.33.0\"}");

      raw.send("POST", "/api/chat", CHAT);
      assertThat(raw.readHead().status).isEqualTo(200);
      int chunks = 0;
      while (raw.readChunk() != null) {
        chunks++;
      }
      assertThat(chunks).isGreaterThan(1);

      raw.send("GET", "/", "");
      assertThat(raw.readBody(raw.readHead())).isEqualTo("Ollama is running");

      List<RecordedRequest> requests = ollama.requests();
      assertThat(requests).extracting(RecordedRequest::connectionIndex).containsOnly(0);
      assertThat(requests).extracting(RecordedRequest::indexOnConnection).containsExactly(0, 1, 2);
    }
  }

  @Test
  void connectionCloseIsHonoured() throws IOException {
    try (OllamaStandIn ollama = OllamaStandIn.builder().build(); RawHttp raw = new RawHttp(ollama)) {
      raw.send("GET", "/api/tags", "", "Connection", "close");
      RawHttp.Head head = raw.readHead();

      assertThat(head.header("Connection")).isEqualTo("close");
      assertThat(raw.readBody(head)).startsWith("{\"models\":[");
      assertThat(raw.atEof()).isTrue();
    }
  }

  @Test
  void chunkedRequestBodyIsDecoded() throws IOException {
    try (OllamaStandIn ollama = OllamaStandIn.builder().model(ScriptedModel.named("m")).build();
        RawHttp raw = new RawHttp(ollama)) {
      String part1 = "{\"model\":\"m\",\"stream\":false,";
      String part2 = "\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}";
      raw.sendRaw("POST /api/chat HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
          + Integer.toHexString(part1.length()) + "\r\n" + part1 + "\r\n"
          + Integer.toHexString(part2.length()) + ";ext=1\r\n" + part2 + "\r\n0\r\n\r\n");
      RawHttp.Head head = raw.readHead();

      assertThat(head.status).isEqualTo(200);
      assertThat(raw.readBody(head)).contains("\"done\":true");
      assertThat(ollama.takeRequest().body()).isEqualTo(part1 + part2);
    }
  }

  /** One decoder, one cap: a chunk declared past it is refused before its bytes are sent. */
  @Test
  void chunkedBodyPastTheCapIs400WhetherReadWholeOrStreamed() throws IOException {
    String blob = "/api/blobs/sha256:" + "0".repeat(64);
    try (OllamaStandIn ollama = OllamaStandIn.builder().model(ScriptedModel.named("m")).build()) {
      try (RawHttp raw = new RawHttp(ollama)) { // read whole: 1 byte, then enough to pass 64 MiB
        raw.sendRaw("POST /api/chat HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
            + "1\r\n{\r\n" + Long.toHexString(Http1.MAX_BODY) + "\r\n");
        assertThat(raw.readHead().status).isEqualTo(400);
      }
      try (RawHttp raw = new RawHttp(ollama)) { // streamed to the blob route
        raw.sendRaw("POST " + blob + " HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
            + "1\r\na\r\n" + Long.toHexString(Http1.MAX_STREAMED_BODY) + "\r\n");
        assertThat(raw.readHead().status).isEqualTo(400);
      }
      try (RawHttp raw = new RawHttp(ollama)) { // streamed, with a length past the same cap
        raw.sendRaw("POST " + blob + " HTTP/1.1\r\nHost: x\r\nContent-Length: "
            + (Http1.MAX_STREAMED_BODY + 1) + "\r\n\r\n");
        assertThat(raw.readHead().status).isEqualTo(400);
      }
      try (RawHttp raw = new RawHttp(ollama)) { // a body within the cap is stored
        raw.sendRaw("POST /api/blobs/sha256:ca978112ca1bbdcafac231b39a23dc4da786eff8147c4e72b9807785afee48bb"
            + " HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n1\r\na\r\n0\r\n\r\n");
        assertThat(raw.readHead().status).isEqualTo(201);
      }
    }
  }

  @Test
  void malformedRequestIs400AndCloses() throws IOException {
    try (OllamaStandIn ollama = OllamaStandIn.builder().build(); RawHttp raw = new RawHttp(ollama)) {
      raw.sendRaw("NONSENSE\r\n\r\n");

      assertThat(raw.readHead().status).isEqualTo(400);
    }
  }

  @Test
  void closeEndsConnectionsAndLeavesNoThreads() throws IOException {
    OllamaStandIn ollama = OllamaStandIn.builder()
        .model(ScriptedModel.named("m").answer("a b c d e f g").tokenDelay(Duration.ofSeconds(5)))
        .build();
    RawHttp idle = new RawHttp(ollama);
    RawHttp streaming = new RawHttp(ollama);
    try (idle; streaming) {
      idle.send("GET", "/api/version", "");
      idle.readBody(idle.readHead());
      streaming.send("POST", "/api/chat", CHAT);
      ollama.takeRequest();
      ollama.takeRequest();
      assertThat(standInThreads()).isNotEmpty();

      ollama.close();
      ollama.close(); // idempotent

      assertThat(standInThreads()).isEmpty();
      assertThat(idle.atEof()).isTrue();
      assertThat(ollama.disconnects()).isZero();
    }
  }

  private static List<String> standInThreads() {
    List<String> names = new ArrayList<>();
    for (Thread thread : Thread.getAllStackTraces().keySet()) {
      if (thread.getName().startsWith("keyway-standin-") && thread.isAlive()) {
        names.add(thread.getName());
      }
    }
    return names;
  }
}
