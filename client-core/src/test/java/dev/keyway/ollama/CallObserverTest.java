package dev.keyway.ollama;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
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
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executor;
import java.util.concurrent.Flow;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
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

  /** The caller's context in these tests: what a tracing library keeps in a thread local. */
  static final ThreadLocal<String> CONTEXT = new ThreadLocal<>();

  /** Records every call: what start saw and how its scope ended. */
  static class Recorder implements OllamaCallObserver {
    final List<@Nullable String> contexts = new CopyOnWriteArrayList<>();
    final List<CallInfo> started = new CopyOnWriteArrayList<>();
    final List<CallResult> ended = new CopyOnWriteArrayList<>();
    final AtomicInteger firstChunks = new AtomicInteger();
    final List<String> trace = new CopyOnWriteArrayList<>();

    @Override
    public Scope start(CallInfo call, UpstreamHeaders headers) {
      contexts.add(String.valueOf(CONTEXT.get()));
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

  /** A recorder that asks for prompt and answer text. */
  static final class Capturing extends Recorder {
    @Override
    public boolean capturesContent() {
      return true;
    }
  }

  /** A recorder that carries {@link #CONTEXT} from the caller's thread to the executor's. */
  static final class Propagating extends Recorder {
    @Override
    public Executor propagating(Executor executor) {
      String captured = CONTEXT.get();
      return task -> executor.execute(() -> {
        String before = CONTEXT.get();
        CONTEXT.set(captured);
        try {
          task.run();
        } finally {
          CONTEXT.set(before);
        }
      });
    }
  }

  @Test
  void noPromptOrAnswerIsHandedOverUnlessTheObserverAsks() {
    OllamaClient c = client(recorder);
    c.chat(chat("llama3.2", null));
    try (OllamaStream<ChatResponse> s = c.chatStream(chat("llama3.2", null))) {
      s.result();
    }
    c.generate(GenerateRequest.builder().model("llama3.2").prompt(PROMPT).build());
    assertThat(recorder.started).hasSize(3).allSatisfy(info -> assertThat(info.request()).isNull());
    assertThat(recorder.ended).hasSize(3).allSatisfy(r -> assertThat(r.answer()).isNull());
    assertThat(recorder.started + " " + recorder.ended).doesNotContain("secret-prompt", "Rayleigh");
  }

  @Test
  void anObserverThatCapturesContentGetsTheRequestAndTheJoinedAnswer() {
    Capturing capturing = new Capturing();
    OllamaClient c = client(capturing);
    ChatRequest request = chat("llama3.2", null);
    ChatResponse unary = c.chat(request);
    ChatResponse joined;
    try (OllamaStream<ChatResponse> s = c.chatStream(request)) {
      joined = s.result();
    }
    assertThat(capturing.started).hasSize(2).allSatisfy(info -> assertThat(info.request()).isSameAs(request));
    assertThat(capturing.ended.get(0).answer()).isSameAs(unary);
    // The stream's joined answer is built once and shared with result().
    assertThat(capturing.ended.get(1).answer()).isSameAs(joined);
    assertThat(joined.message().content()).contains("Rayleigh");
    // Not in toString (logs): only the types.
    assertThat(capturing.started.get(0).toString() + capturing.ended.get(1)).doesNotContain("secret-prompt", "Rayleigh")
        .contains("request=ChatRequest", "answer=ChatResponse");
  }

  @Test
  void aStreamReportsItsTimeToFirstChunkAndTheServersLoadDuration() {
    OllamaClient c = client(recorder);
    try (OllamaStream<ChatResponse> s = c.chatStream(chat("llama3.2", null))) {
      s.result();
    }
    c.chat(chat("llama3.2", null));
    OllamaCallObserver.CallResult streamed = recorder.ended.get(0);
    assertThat(streamed.timeToFirstChunk()).isPositive().isLessThanOrEqualTo(streamed.duration());
    assertThat(streamed.loadDuration()).isPositive();
    assertThat(recorder.ended.get(1).timeToFirstChunk()).isNull(); // not streamed
    assertThat(recorder.ended.get(1).loadDuration()).isPositive();
  }

  @Test
  void anAsyncStreamStartsInTheCallersContext() throws Exception {
    Propagating propagating = new Propagating();
    OllamaClient c = client(propagating);
    CONTEXT.set("caller-request-1");
    try {
      c.chatStream(chat("llama3.2", null), RequestOptions.none(), chunk -> {}).future().get(10, TimeUnit.SECONDS);
    } finally {
      CONTEXT.remove();
    }
    assertThat(propagating.contexts).containsExactly("caller-request-1");
    assertThat(propagating.ended).singleElement()
        .satisfies(r -> assertThat(r.outcome()).isEqualTo(OllamaCallEvent.OUTCOME_SUCCESS));
  }

  @Test
  void aPublisherStreamStartsInTheContextWherePublisherWasCalled() {
    Propagating propagating = new Propagating();
    OllamaClient c = client(propagating);
    Flow.Publisher<ChatResponse> publisher;
    CONTEXT.set("caller-request-2");
    try {
      publisher = c.publisher(() -> c.chatStream(chat("llama3.2", null)));
    } finally {
      CONTEXT.remove();
    }
    CountDownLatch done = new CountDownLatch(1);
    publisher.subscribe(new Flow.Subscriber<>() {
      @Override
      public void onSubscribe(Flow.Subscription s) {
        s.request(Long.MAX_VALUE);
      }

      @Override
      public void onNext(ChatResponse item) {}

      @Override
      public void onError(Throwable throwable) {
        done.countDown();
      }

      @Override
      public void onComplete() {
        done.countDown();
      }
    });
    await().atMost(Duration.ofSeconds(10)).until(() -> done.getCount() == 0);
    assertThat(propagating.contexts).containsExactly("caller-request-2");
  }

  @Test
  void aPublisherSubscriberThatCancelsEndsTheScopeAsCancelled() {
    OllamaClient c = client(recorder);
    AtomicReference<Flow.@Nullable Subscription> subscription = new AtomicReference<>();
    c.publisher(() -> c.chatStream(chat("llama3.2", null))).subscribe(new Flow.Subscriber<>() {
      @Override
      public void onSubscribe(Flow.Subscription s) {
        subscription.set(s);
        s.request(1);
      }

      @Override
      public void onNext(ChatResponse item) {
        subscription.get().cancel(); // after the first chunk, long before the done chunk
      }

      @Override
      public void onError(Throwable throwable) {}

      @Override
      public void onComplete() {}
    });
    await().atMost(Duration.ofSeconds(10)).until(() -> recorder.ended.size() == 1);
    assertThat(recorder.ended.get(0).outcome()).isEqualTo(OllamaCallEvent.OUTCOME_CANCELLED);
    assertThat(recorder.ended.get(0).error()).isNull();
  }

  @Test
  void cancellingAnAsyncHandleOrClosingTheClientEndsTheScopeAsCancelled() throws Exception {
    for (boolean closeClient : new boolean[] {false, true}) {
      Recorder r = new Recorder();
      OllamaClient c = client(r);
      CountDownLatch first = new CountDownLatch(1);
      CountDownLatch release = new CountDownLatch(1);
      StreamHandle<ChatResponse> handle = c.chatStream(chat("llama3.2", null), RequestOptions.none(), chunk -> {
        first.countDown();
        try {
          release.await(10, TimeUnit.SECONDS); // the caller leaves while the handler holds a chunk
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      });
      assertThat(first.await(10, TimeUnit.SECONDS)).isTrue();
      if (closeClient) {
        c.close();
      } else {
        handle.cancel();
      }
      release.countDown();
      await().atMost(Duration.ofSeconds(10)).until(() -> r.ended.size() == 1);
      assertThat(r.ended.get(0).outcome()).as("closeClient=%s", closeClient).isEqualTo(OllamaCallEvent.OUTCOME_CANCELLED);
      c.close();
    }
  }
}
