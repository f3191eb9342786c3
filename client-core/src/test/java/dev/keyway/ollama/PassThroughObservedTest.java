package dev.keyway.ollama;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import okhttp3.mockwebserver.MockResponse;
import okhttp3.mockwebserver.RecordedRequest;
import okhttp3.mockwebserver.SocketPolicy;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A relayed call ({@link OllamaClient#passThrough}) is observed like a typed one: named after its
 * path and the model the relay read, the trace context sent upstream, ended when the relayed
 * answer is read to its end, fails, or is cancelled or closed early; usage from the last line.
 */
@Timeout(20)
class PassThroughObservedTest extends MockServerTest {
  static final String KEY = "kw-secret-pass-observed-31";
  static final String TRACEPARENT = CallObserverTest.TRACEPARENT;
  static final String DONE = "{\"model\":\"llama3.2\",\"done\":true,\"done_reason\":\"stop\","
      + "\"prompt_eval_count\":26,\"eval_count\":3}\n";
  static final String STREAM = "{\"model\":\"llama3.2\",\"message\":{\"content\":\"a\"},\"done\":false}\n"
      + "{\"model\":\"llama3.2\",\"message\":{\"content\":\"b\"},\"done\":false}\n" + DONE;

  final CallObserverTest.Recorder recorder = new CallObserverTest.Recorder();
  final List<OllamaCallEvent> events = new CopyOnWriteArrayList<>();

  @Override
  OllamaClient client(OllamaClient.Builder builder) {
    return builder.apiKey(KEY).retryBackoff(Duration.ofMillis(1), Duration.ofMillis(5))
        .observer(recorder).listener(events::add).build();
  }

  static PassThroughRequest chat(boolean stream) {
    return PassThroughRequest.post("api/chat",
        ("{\"model\":\"llama3.2\",\"stream\":" + stream + "}").getBytes(StandardCharsets.UTF_8))
        .streaming(stream).model("llama3.2");
  }

  @Test
  void relayedStreamIsStartedNamedAndEndedAtItsEndWithTheDoneChunksUsage() throws Exception {
    server.enqueue(ndjson(STREAM));
    try (PassThroughResponse answer = client.passThrough(chat(true))) {
      assertThat(recorder.started).singleElement().satisfies(info -> {
        assertThat(info.endpoint()).isEqualTo("api/chat");
        assertThat(info.model()).isEqualTo("llama3.2");
        assertThat(info.streamed()).isTrue();
        assertThat(info.serverAddress()).isEqualTo(server.getHostName());
        assertThat(info.serverPort()).isEqualTo(server.getPort());
      });
      assertThat(recorder.ended).isEmpty();
      assertThat(new String(answer.body().readAllBytes(), StandardCharsets.UTF_8)).isEqualTo(STREAM);
      assertThat(recorder.ended).singleElement().satisfies(result -> {
        assertThat(result.outcome()).isEqualTo(OllamaCallEvent.OUTCOME_SUCCESS);
        assertThat(result.status()).isEqualTo(200);
        assertThat(result.responseModel()).isEqualTo("llama3.2");
        assertThat(result.inputTokens()).isEqualTo(26);
        assertThat(result.outputTokens()).isEqualTo(3);
        assertThat(result.doneReason()).isEqualTo("stop");
        assertThat(result.error()).isNull();
      });
    }
    assertThat(recorder.ended).hasSize(1);
    assertThat(recorder.trace).containsExactly("start", "first", "end");
    RecordedRequest upstream = server.takeRequest(5, TimeUnit.SECONDS);
    assertThat(upstream.getHeader("traceparent")).isEqualTo(TRACEPARENT);
    assertThat(upstream.getHeader("X-API-Key")).isEqualTo(KEY);
    // The listener hears of relayed calls too: one source of truth for calls, typed or relayed.
    assertThat(events).singleElement().satisfies(e -> {
      assertThat(e.endpoint()).isEqualTo("api/chat");
      assertThat(e.model()).isEqualTo("llama3.2");
      assertThat(e.streamed()).isTrue();
      assertThat(e.outcome()).isEqualTo(OllamaCallEvent.OUTCOME_SUCCESS);
      assertThat(e.promptTokens()).isEqualTo(26);
      assertThat(e.generatedTokens()).isEqualTo(3);
      assertThat(e.timeToFirstChunk()).isNotNull();
    });
  }

  @Test
  void usageIsReadWhenTheDoneChunkIsSplitAcrossReads() throws Exception {
    // 5-byte chunks: every line, the done chunk included, arrives in pieces.
    server.enqueue(new MockResponse().setHeader("Content-Type", "application/x-ndjson").setChunkedBody(STREAM, 5));
    try (PassThroughResponse answer = client.passThrough(chat(true))) {
      InputStream in = answer.body();
      byte[] small = new byte[7];
      while (in.read(small) >= 0) {
        // read in small pieces, as a relay with a tiny buffer would
      }
    }
    assertThat(recorder.ended).singleElement().satisfies(result -> {
      assertThat(result.inputTokens()).isEqualTo(26);
      assertThat(result.outputTokens()).isEqualTo(3);
    });
  }

  @Test
  void unaryGenerateAndEmbedAreNamedAfterTheirPathsWithUsage() throws Exception {
    server.enqueue(json("{\"model\":\"llama3.2\",\"response\":\"hi\",\"done\":true,\"done_reason\":\"length\","
        + "\"prompt_eval_count\":4,\"eval_count\":9}"));
    server.enqueue(json("{\"model\":\"all-minilm\",\"embeddings\":[[0.1,0.2]],\"prompt_eval_count\":5}"));
    try (PassThroughResponse answer = client.passThrough(PassThroughRequest.post("api/generate",
        "{\"model\":\"llama3.2\",\"stream\":false}".getBytes(StandardCharsets.UTF_8)).model("llama3.2"))) {
      answer.body().readAllBytes();
    }
    try (PassThroughResponse answer = client.passThrough(PassThroughRequest.post("api/embed",
        "{\"model\":\"all-minilm\"}".getBytes(StandardCharsets.UTF_8)).model("all-minilm"))) {
      answer.body().readAllBytes();
    }
    assertThat(recorder.started).extracting(OllamaCallObserver.CallInfo::endpoint)
        .containsExactly("api/generate", "api/embed");
    assertThat(recorder.ended).hasSize(2);
    assertThat(recorder.ended.get(0).outputTokens()).isEqualTo(9);
    assertThat(recorder.ended.get(0).doneReason()).isEqualTo("length");
    assertThat(recorder.ended.get(1).inputTokens()).isEqualTo(5);
    assertThat(recorder.ended.get(1).responseModel()).isEqualTo("all-minilm");
    assertThat(recorder.firstChunks).hasValue(0);
  }

  @Test
  void aGetWithoutModelIsObservedWithoutOne() throws Exception {
    server.enqueue(json("{\"version\":\"0.12.0\"}"));
    try (PassThroughResponse answer = client.passThrough(PassThroughRequest.get("api/version"))) {
      answer.body().readAllBytes();
    }
    assertThat(recorder.started).singleElement().satisfies(info -> {
      assertThat(info.endpoint()).isEqualTo("api/version");
      assertThat(info.model()).isNull();
    });
    assertThat(recorder.ended).singleElement()
        .satisfies(r -> assertThat(r.outcome()).isEqualTo(OllamaCallEvent.OUTCOME_SUCCESS));
  }

  @Test
  void anUpstreamErrorStatusEndsTheCallWithItsStatusAndError() {
    server.enqueue(new MockResponse().setResponseCode(404).setBody("{\"error\":\"model 'nope' not found\"}"));
    assertThatThrownBy(() -> client.passThrough(chat(true).options(RequestOptions.builder().maxAttempts(1).build())))
        .isInstanceOf(OllamaModelNotFoundException.class);
    assertThat(recorder.ended).singleElement().satisfies(result -> {
      assertThat(result.outcome()).isEqualTo(OllamaCallEvent.OUTCOME_MODEL_NOT_FOUND);
      assertThat(result.status()).isEqualTo(404);
      assertThat(result.error()).isInstanceOf(OllamaModelNotFoundException.class);
    });
  }

  @Test
  void aStreamClosedBeforeItsEndIsCancelled() throws Exception {
    server.enqueue(ndjson(STREAM).throttleBody(40, 50, TimeUnit.MILLISECONDS));
    try (PassThroughResponse answer = client.passThrough(chat(true))) {
      assertThat(answer.body().read(new byte[16])).isPositive();
      assertThat(recorder.ended).isEmpty();
    }
    assertThat(recorder.ended).singleElement().satisfies(result -> {
      assertThat(result.outcome()).isEqualTo(OllamaCallEvent.OUTCOME_CANCELLED);
      assertThat(result.error()).isNull();
    });
  }

  @Test
  void aCancelledRelayEndsAtOnceAsCancelled() throws Exception {
    server.enqueue(ndjson(STREAM).throttleBody(40, 50, TimeUnit.MILLISECONDS));
    try (PassThroughResponse answer = client.passThrough(chat(true))) {
      answer.body().read(new byte[16]);
      answer.cancel(); // the browser left
      assertThat(recorder.ended).singleElement()
          .satisfies(r -> assertThat(r.outcome()).isEqualTo(OllamaCallEvent.OUTCOME_CANCELLED));
      assertThatThrownBy(() -> answer.body().readAllBytes()).isInstanceOf(IOException.class);
    }
    assertThat(recorder.ended).hasSize(1);
  }

  @Test
  void aStreamCutMidwayEndsAsATransportError() throws Exception {
    server.enqueue(ndjson(STREAM).setSocketPolicy(SocketPolicy.DISCONNECT_DURING_RESPONSE_BODY));
    try (PassThroughResponse answer = client.passThrough(chat(true))) {
      assertThatThrownBy(() -> answer.body().readAllBytes()).isInstanceOf(IOException.class);
    }
    assertThat(recorder.ended).singleElement().satisfies(result -> {
      assertThat(result.outcome()).isEqualTo(OllamaCallEvent.OUTCOME_TRANSPORT_ERROR);
      assertThat(result.error()).isInstanceOf(OllamaTransportException.class);
    });
  }

  @Test
  void aChatStreamEndingWithoutItsDoneChunkIsAStreamError() throws Exception {
    server.enqueue(ndjson("{\"message\":{\"content\":\"a\"},\"done\":false}\n"));
    try (PassThroughResponse answer = client.passThrough(chat(true))) {
      answer.body().readAllBytes();
    }
    assertThat(recorder.ended).singleElement().satisfies(result -> {
      assertThat(result.outcome()).isEqualTo(OllamaCallEvent.OUTCOME_STREAM_ERROR);
      assertThat(result.error()).isInstanceOf(OllamaStreamException.class);
    });
  }

  @Test
  void aPullStreamEndsAtItsLastLineWithoutADoneChunk() throws Exception {
    server.enqueue(ndjson("{\"status\":\"pulling manifest\"}\n{\"status\":\"success\"}\n"));
    try (PassThroughResponse answer = client.passThrough(PassThroughRequest.post("api/pull",
        "{\"model\":\"llama3.2\"}".getBytes(StandardCharsets.UTF_8)).streaming(true).model("llama3.2"))) {
      answer.body().readAllBytes();
    }
    assertThat(recorder.ended).singleElement()
        .satisfies(r -> assertThat(r.outcome()).isEqualTo(OllamaCallEvent.OUTCOME_SUCCESS));
  }

  @Test
  void aStreamEndingInAnInBandErrorIsAStreamError() throws Exception {
    server.enqueue(ndjson("{\"message\":{\"content\":\"a\"},\"done\":false}\n{\"error\":\"model crashed\"}\n"));
    try (PassThroughResponse answer = client.passThrough(chat(true))) {
      answer.body().readAllBytes();
    }
    assertThat(recorder.ended).singleElement().satisfies(result -> {
      assertThat(result.outcome()).isEqualTo(OllamaCallEvent.OUTCOME_STREAM_ERROR);
      assertThat(result.error()).isInstanceOf(OllamaStreamException.class);
    });
  }
  /**
   * The relay reads the sampling options the GenAI conventions name from the body it sends (and
   * nothing else of it), and {@code load_duration} from the last line, as a typed call has them.
   */
  @Test
  void aRelayedChatCarriesTheBodysSamplingOptionsAndTheLastLinesLoadDuration() throws Exception {
    String done = "{\"model\":\"llama3.2\",\"done\":true,\"done_reason\":\"stop\","
        + "\"load_duration\":1840125,\"prompt_eval_count\":26,\"eval_count\":3}\n";
    server.enqueue(ndjson("{\"model\":\"llama3.2\",\"message\":{\"content\":\"a\"},\"done\":false}\n" + done));
    String body = "{\"model\":\"llama3.2\",\"messages\":[{\"role\":\"user\",\"content\":\"secret-prompt\","
        + "\"options\":{\"temperature\":9}}],\"options\":{\"temperature\":0.2,\"num_predict\":64,"
        + "\"top_p\":0.9,\"top_k\":40,\"seed\":42,\"stop\":[\"\\n\\n\",\"END\"],\"num_ctx\":8192,"
        + "\"presence_penalty\":\"high\"},\"stream\":true}";
    try (PassThroughResponse answer = client.passThrough(PassThroughRequest.post("api/chat",
        body.getBytes(StandardCharsets.UTF_8)).streaming(true).model("llama3.2"))) {
      answer.body().readAllBytes();
    }
    assertThat(recorder.started).singleElement().satisfies(info -> {
      assertThat(info.options()).isNotNull();
      assertThat(info.options().asMap()).containsOnlyKeys("temperature", "num_predict", "top_p", "top_k",
          "seed", "stop"); // num_ctx is not a GenAI attribute; a presence_penalty that is no number is left out
      assertThat(info.numberOption("temperature")).isEqualTo(0.2);
      assertThat(info.numberOption("num_predict")).isEqualTo(64);
      assertThat(info.numberOption("top_p")).isEqualTo(0.9);
      assertThat(info.numberOption("top_k")).isEqualTo(40);
      assertThat(info.numberOption("seed")).isEqualTo(42);
      assertThat(info.options().get("stop")).isEqualTo(List.of("\n\n", "END"));
      assertThat(info.request()).isNull(); // no content: this observer does not capture it
      assertThat(info.toString()).doesNotContain("secret-prompt");
    });
    assertThat(recorder.ended).singleElement().satisfies(result -> {
      assertThat(result.outcome()).isEqualTo(OllamaCallEvent.OUTCOME_SUCCESS);
      assertThat(result.loadDuration()).isEqualTo(Duration.ofNanos(1_840_125));
    });
    // The body went upstream byte for byte.
    assertThat(server.takeRequest(5, TimeUnit.SECONDS).getBody().readUtf8()).isEqualTo(body);
  }

  /** A body without usable options (none, not an object, not JSON at all) is relayed without any. */
  @Test
  void aBodyWithoutUsableOptionsIsObservedWithoutOptions() throws Exception {
    List<String> bodies = List.of("{\"model\":\"llama3.2\",\"stream\":false}",
        "{\"model\":\"llama3.2\",\"options\":[0.2],\"stream\":false}",
        "{\"model\":\"llama3.2\",\"options\":{\"num_ctx\":8192},\"stream\":false}",
        "not json {\"options\":{\"temperature\":0.2}}");
    for (String body : bodies) {
      server.enqueue(json("{\"model\":\"llama3.2\",\"done\":true}"));
      try (PassThroughResponse answer = client.passThrough(PassThroughRequest.post("api/generate",
          body.getBytes(StandardCharsets.UTF_8)).model("llama3.2"))) {
        answer.body().readAllBytes();
      }
      assertThat(server.takeRequest(5, TimeUnit.SECONDS).getBody().readUtf8()).isEqualTo(body);
    }
    assertThat(recorder.started).hasSize(4).allSatisfy(info -> assertThat(info.options()).isNull());
    assertThat(recorder.ended).hasSize(4).allSatisfy(result -> assertThat(result.loadDuration()).isNull());
  }
}
