package dev.keyway.ollama;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.keyway.ollama.model.ChatRequest;
import dev.keyway.ollama.model.ChatResponse;
import dev.keyway.ollama.model.EmbedRequest;
import dev.keyway.ollama.model.GenerateRequest;
import dev.keyway.ollama.model.Message;
import dev.keyway.ollama.model.ModelOptions;
import dev.keyway.ollama.testkit.Fault;
import dev.keyway.ollama.testkit.OllamaStandInExtension;
import dev.keyway.ollama.testkit.RecordedRequest;
import dev.keyway.ollama.testkit.ScriptedModel;
import java.time.Duration;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import okhttp3.mockwebserver.MockResponse;
import okhttp3.mockwebserver.MockWebServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.jspecify.annotations.Nullable;

/** {@link OllamaCallObserver}: what it is told, when its scope ends, and the headers it adds. */
@Timeout(20)
class CallObserverTest {
  static final String KEY = "kw-secret-observer-5150";
  static final String PROMPT = "Why is the sky blue? secret-prompt-text";
  static final String TRACEPARENT = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

  @RegisterExtension
  final OllamaStandInExtension ollama = OllamaStandInExtension.with(b -> b
      .requireApiKey(KEY)
      .model(ScriptedModel.named("llama3.2").answer("The sky is blue because of Rayleigh scattering.")));

  /** Records every call: what start saw and how its scope ended. */
  static final class Recorder implements OllamaCallObserver {
    final List<CallInfo> started = new CopyOnWriteArrayList<>();
    final List<CallResult> ended = new CopyOnWriteArrayList<>();
    final AtomicInteger firstChunks = new AtomicInteger();
    final List<String> trace = new CopyOnWriteArrayList<>();

    @Override
    public Scope start(CallInfo call, UpstreamHeaders headers) {
      started.add(call);
      headers.set("traceparent", TRACEPARENT);
      trace.add("start");
      return new Scope() {
        @Override
        public void onFirstChunk() {
          firstChunks.incrementAndGet();
          trace.add("first");
        }

        @Override
        public void onEnd(CallResult result) {
          ended.add(result);
          trace.add("end");
        }
      };
    }
  }

  final Recorder recorder = new Recorder();
  @Nullable OllamaClient client;
  @Nullable MockWebServer origin;
  @Nullable MockWebServer elsewhere;

  OllamaClient client(OllamaCallObserver observer) {
    client = OllamaClient.builder().baseUrl(ollama.standIn().baseUrl()).apiKey(KEY)
        .retryBackoff(Duration.ofMillis(1), Duration.ofMillis(5)).observer(observer).build();
    return client;
  }

  @AfterEach
  void tearDown() throws Exception {
    if (client != null) {
      client.close();
    }
    if (origin != null) {
      origin.shutdown();
    }
    if (elsewhere != null) {
      elsewhere.shutdown();
    }
  }

  static ChatRequest chat(String model, @Nullable ModelOptions options) {
    return ChatRequest.builder().model(model).addMessage(Message.user(PROMPT)).options(options).build();
  }

  @Test
  void unaryChatIsStartedWithTheRequestOptionsAndEndedWithUsage() {
    ModelOptions options = ModelOptions.builder().temperature(0.2).topP(0.9).topK(40).numPredict(128)
        .seed(7).stop("###").presencePenalty(0.5).frequencyPenalty(0.25).build();
    client(recorder).chat(chat("llama3.2", options));

    assertThat(recorder.started).singleElement().satisfies(info -> {
      assertThat(info.endpoint()).isEqualTo("api/chat");
      assertThat(info.model()).isEqualTo("llama3.2");
      assertThat(info.streamed()).isFalse();
      assertThat(info.serverAddress()).isEqualTo("127.0.0.1");
      assertThat(info.serverPort()).isEqualTo(ollama.standIn().port());
      assertThat(info.numberOption("temperature")).isEqualTo(0.2);
      assertThat(info.numberOption("top_k")).isEqualTo(40);
      assertThat(info.numberOption("num_predict")).isEqualTo(128);
      assertThat(info.options().get("stop")).isEqualTo(List.of("###"));
    });
    assertThat(recorder.ended).singleElement().satisfies(r -> {
      assertThat(r.outcome()).isEqualTo(OllamaCallEvent.OUTCOME_SUCCESS);
      assertThat(r.status()).isEqualTo(200);
      assertThat(r.error()).isNull();
      assertThat(r.responseModel()).startsWith("llama3.2");
      assertThat(r.inputTokens()).isPositive();
      assertThat(r.outputTokens()).isPositive();
      assertThat(r.doneReason()).isEqualTo("stop");
    });
    assertThat(recorder.firstChunks).hasValue(0);
    assertThat(recorder.started.get(0).toString() + recorder.ended.get(0)).doesNotContain("secret-prompt", KEY);
  }

  @Test
  void contributedHeaderArrivesUpstreamOnEveryKindOfCall() {
    OllamaClient c = client(recorder);
    c.chat(chat("llama3.2", null));
    c.generate(GenerateRequest.builder().model("llama3.2").prompt("p").build());
    c.embed(EmbedRequest.builder().model("llama3.2").input(List.of("x")).build());
    c.listModels();
    try (OllamaStream<ChatResponse> s = c.chatStream(chat("llama3.2", null))) {
      s.result();
    }
    assertThat(ollama.standIn().requests()).hasSize(5)
        .allSatisfy(r -> assertThat(r.header("traceparent")).isEqualTo(TRACEPARENT))
        .allSatisfy(r -> assertThat(r.header("X-API-Key")).isEqualTo(KEY));
    assertThat(recorder.started).extracting(OllamaCallObserver.CallInfo::endpoint)
        .containsExactly("api/chat", "api/generate", "api/embed", "api/tags", "api/chat");
    assertThat(recorder.ended).hasSize(5)
        .allSatisfy(r -> assertThat(r.outcome()).isEqualTo(OllamaCallEvent.OUTCOME_SUCCESS));
  }

  @Test
  void streamScopeEndsAtTheDoneChunkWithOneFirstChunkEvent() {
    try (OllamaStream<ChatResponse> s = client(recorder).chatStream(chat("llama3.2", null))) {
      Iterator<ChatResponse> it = s.iterator();
      it.next();
      assertThat(recorder.trace).containsExactly("start", "first");
      while (it.hasNext()) {
        it.next();
      }
      assertThat(recorder.trace).containsExactly("start", "first", "end");
    }
    assertThat(recorder.ended).singleElement().satisfies(r -> {
      assertThat(r.outcome()).isEqualTo(OllamaCallEvent.OUTCOME_SUCCESS);
      assertThat(r.outputTokens()).isPositive();
      assertThat(r.doneReason()).isEqualTo("stop");
    });
    assertThat(recorder.started.get(0).streamed()).isTrue();
  }

  @Test
  void streamClosedEarlyByTheCallerEndsCancelledWithoutError() {
    try (OllamaStream<ChatResponse> s = client(recorder).chatStream(chat("llama3.2", null))) {
      s.iterator().next();
    }
    assertThat(recorder.trace).containsExactly("start", "first", "end");
    assertThat(recorder.ended).singleElement().satisfies(r -> {
      assertThat(r.outcome()).isEqualTo(OllamaCallEvent.OUTCOME_CANCELLED);
      assertThat(r.error()).isNull();
    });
  }

  @Test
  void streamErrorEndsTheScopeWithTheException() {
    ollama.standIn().enqueue(Fault.errorAfter(2, "model crashed"));
    try (OllamaStream<ChatResponse> s = client(recorder).chatStream(chat("llama3.2", null))) {
      assertThatThrownBy(s::result).isInstanceOf(OllamaStreamException.class);
    }
    assertThat(recorder.ended).singleElement().satisfies(r -> {
      assertThat(r.outcome()).isEqualTo(OllamaCallEvent.OUTCOME_STREAM_ERROR);
      assertThat(r.error()).isInstanceOf(OllamaStreamException.class);
    });
  }

  @Test
  void httpErrorEndsTheScopeWithItsStatus() {
    assertThatThrownBy(() -> client(recorder).chat(chat("no-such-model", null)))
        .isInstanceOf(OllamaModelNotFoundException.class);
    assertThat(recorder.ended).singleElement().satisfies(r -> {
      assertThat(r.outcome()).isEqualTo(OllamaCallEvent.OUTCOME_MODEL_NOT_FOUND);
      assertThat(r.status()).isEqualTo(404);
      assertThat(r.error()).isInstanceOf(OllamaModelNotFoundException.class);
    });
  }

  @Test
  void headerValueWithALineBreakIsRefusedAndNothingIsInjected() {
    OllamaCallObserver.UpstreamHeaders headers = new OllamaCallObserver.UpstreamHeaders();
    assertThatThrownBy(() -> headers.set("traceparent", TRACEPARENT + "\r\nX-Injected: 1"))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> headers.set("X-API-Key", "other"))
        .isInstanceOf(IllegalArgumentException.class);
    assertThat(headers.isEmpty()).isTrue();

    // An observer that tries anyway: the call goes on, unobserved and without the header.
    List<Throwable> refused = new CopyOnWriteArrayList<>();
    client(new OllamaCallObserver() {
      @Override
      public @Nullable Scope start(CallInfo call, UpstreamHeaders h) {
        try {
          h.set("traceparent", TRACEPARENT + "\nX-Injected: 1");
        } catch (IllegalArgumentException e) {
          refused.add(e);
        }
        h.set("traceparent", TRACEPARENT + "\r\nX-Injected: 1"); // throws out of start
        return null;
      }
    }).chat(chat("llama3.2", null));
    assertThat(refused).singleElement().isInstanceOf(IllegalArgumentException.class);
    RecordedRequest sent = ollama.standIn().takeRequest();
    assertThat(sent.header("traceparent")).isNull();
    assertThat(sent.header("X-Injected")).isNull();
  }

  @Test
  void contributedHeaderIsNotSentToAnotherOriginOnRedirect() throws Exception {
    origin = new MockWebServer();
    origin.start();
    elsewhere = new MockWebServer();
    elsewhere.start(); // same host, other port: another origin
    origin.enqueue(new MockResponse().setResponseCode(307)
        .setHeader("Location", elsewhere.url("/api/tags").toString()));
    elsewhere.enqueue(new MockResponse().setBody("{\"models\":[]}"));
    client = OllamaClient.builder().baseUrl(origin.url("/").toString()).observer(recorder).build();
    client.listModels();
    assertThat(origin.takeRequest().getHeader("traceparent")).isEqualTo(TRACEPARENT);
    assertThat(elsewhere.takeRequest().getHeader("traceparent")).isNull();
  }

  @Test
  void observersAddUpAndSeeEachOthersHeaders() {
    Recorder second = new Recorder();
    client = OllamaClient.builder().baseUrl(ollama.standIn().baseUrl()).apiKey(KEY)
        .observer(recorder).observer(second).build();
    client.chat(chat("llama3.2", null));
    assertThat(recorder.ended).hasSize(1);
    assertThat(second.ended).hasSize(1);
  }
}
