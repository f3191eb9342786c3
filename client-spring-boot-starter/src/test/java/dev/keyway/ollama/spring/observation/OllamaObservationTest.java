package dev.keyway.ollama.spring.observation;

import static io.micrometer.observation.tck.TestObservationRegistryAssert.assertThat;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.keyway.ollama.RequestOptions;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Flow;
import java.util.concurrent.TimeUnit;

import dev.keyway.ollama.OllamaClient;
import dev.keyway.ollama.OllamaModelNotFoundException;
import dev.keyway.ollama.OllamaStream;
import dev.keyway.ollama.OllamaStreamException;
import dev.keyway.ollama.model.ChatRequest;
import dev.keyway.ollama.model.ChatResponse;
import dev.keyway.ollama.model.GenerateRequest;
import dev.keyway.ollama.model.Message;
import dev.keyway.ollama.model.ModelOptions;
import dev.keyway.ollama.spring.OllamaAutoConfiguration;
import dev.keyway.ollama.spring.actuate.OllamaMetricsAutoConfiguration;
import dev.keyway.ollama.testkit.Fault;
import dev.keyway.ollama.testkit.OllamaStandIn;
import dev.keyway.ollama.testkit.ScriptedModel;
import io.micrometer.common.KeyValue;
import io.micrometer.common.KeyValues;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.micrometer.observation.Observation;
import io.micrometer.observation.ObservationHandler;
import io.micrometer.observation.ObservationRegistry;
import io.micrometer.observation.tck.TestObservationRegistry;
import io.micrometer.observation.transport.SenderContext;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

/** The starter's Micrometer Observation of calls, with a TestObservationRegistry and the stand-in. */
@Timeout(30)
class OllamaObservationTest {
  static final String KEY = "kw-secret-observation-8086";
  static final String PROMPT = "secret-prompt-text: why is the sky blue?";
  static final String ANSWER = "Rayleigh scattering makes the sky blue.";
  static final String SYSTEM = "secret-system: answer \"briefly\"\nplease";
  static final String TRACEPARENT = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
  static final String NAME = DefaultOllamaObservationConvention.NAME;

  OllamaStandIn standIn;
  TestObservationRegistry registry;
  SimpleMeterRegistry meters;
  ApplicationContextRunner runner;

  @BeforeEach
  void setUp() {
    standIn = OllamaStandIn.builder().requireApiKey(KEY)
        .model(ScriptedModel.named("llama3.2").answer(ANSWER)).build();
    registry = TestObservationRegistry.create();
    meters = new SimpleMeterRegistry();
    runner = new ApplicationContextRunner()
        .withConfiguration(AutoConfigurations.of(OllamaAutoConfiguration.class,
            OllamaMetricsAutoConfiguration.class, OllamaObservationAutoConfiguration.class))
        .withBean(ObservationRegistry.class, () -> registry)
        .withBean(MeterRegistry.class, () -> meters)
        .withPropertyValues("ollama.base-url=" + standIn.baseUrl(), "ollama.api-key=" + KEY,
            "ollama.api-key-header=X-API-Key");
  }

  @AfterEach
  void tearDown() {
    standIn.close();
  }

  static ChatRequest chat(String model) {
    return ChatRequest.builder().model(model).addMessage(Message.user(PROMPT))
        .options(ModelOptions.builder().temperature(0.2).topP(0.9).topK(40).numPredict(64).build())
        .build();
  }

  @Test
  void chatIsObservedInGenAiConventions() {
    runner.run(context -> {
      context.getBean(OllamaClient.class).chat(chat("llama3.2"));
      assertThat(registry).hasSingleObservationThat()
          .hasNameEqualTo(NAME)
          .hasContextualNameEqualTo("chat llama3.2")
          .hasLowCardinalityKeyValue("gen_ai.operation.name", "chat")
          .hasLowCardinalityKeyValue("gen_ai.provider.name", "ollama")
          .hasLowCardinalityKeyValue("gen_ai.request.model", "llama3.2")
          .hasHighCardinalityKeyValue("gen_ai.response.model", "llama3.2")
          .doesNotHaveLowCardinalityKeyValueWithKey("gen_ai.response.model")
          .doesNotHaveLowCardinalityKeyValueWithKey("ollama.server.name") // a single server: no name
          .hasLowCardinalityKeyValue("server.address", "127.0.0.1")
          .hasLowCardinalityKeyValue("server.port", String.valueOf(standIn.port()))
          .doesNotHaveLowCardinalityKeyValueWithKey("error.type")
          .doesNotHaveHighCardinalityKeyValueWithKey("error.type")
          .doesNotHaveHighCardinalityKeyValueWithKey("gen_ai.request.stream")
          .hasHighCardinalityKeyValueWithKey("ollama.response.load_duration")
          .hasHighCardinalityKeyValueWithKey("gen_ai.usage.input_tokens")
          .hasHighCardinalityKeyValueWithKey("gen_ai.usage.output_tokens")
          .hasHighCardinalityKeyValue("gen_ai.response.finish_reasons", "stop")
          .hasHighCardinalityKeyValue("gen_ai.request.temperature", "0.2")
          .hasHighCardinalityKeyValue("gen_ai.request.top_p", "0.9")
          .hasHighCardinalityKeyValue("gen_ai.request.top_k", "40")
          .hasHighCardinalityKeyValue("gen_ai.request.max_tokens", "64")
          .doesNotHaveError()
          .hasBeenStarted()
          .hasBeenStopped();
      assertThat(registry).hasHandledContextsThatSatisfy(contexts -> {
        OllamaObservationContext observed = (OllamaObservationContext) contexts.get(0);
        assertThat(observed.result().outputTokens()).isPositive();
        assertThat(observed.getKind()).isEqualTo(io.micrometer.observation.transport.Kind.CLIENT);
        java.net.URI remote = java.net.URI.create(observed.getRemoteServiceAddress());
        assertThat(remote.getHost()).isEqualTo("127.0.0.1");
        assertThat(remote.getPort()).isEqualTo(standIn.port());
      });
    });
  }

  @Test
  void generateIsATextCompletion() {
    runner.run(context -> {
      context.getBean(OllamaClient.class).generate(GenerateRequest.builder().model("llama3.2").prompt(PROMPT).build());
      assertThat(registry).hasSingleObservationThat()
          .hasContextualNameEqualTo("text_completion llama3.2")
          .hasLowCardinalityKeyValue("gen_ai.operation.name", "text_completion");
    });
  }

  @Test
  void noPromptOrAnswerTextInKeyValuesEventsContextOrMetersByDefault() {
    Events events = new Events();
    registry.observationConfig().observationHandler(events);
    runner.run(context -> {
      OllamaClient client = context.getBean(OllamaClient.class);
      client.chat(chat("llama3.2"));
      try (OllamaStream<ChatResponse> s = client.chatStream(chat("llama3.2"))) {
        s.result();
      }
      client.generate(GenerateRequest.builder().model("llama3.2").prompt(PROMPT).system(SYSTEM).build());
      assertThat(registry).hasNumberOfObservationsEqualTo(3).hasHandledContextsThatSatisfy(contexts ->
          assertThat(contexts).allSatisfy(c -> {
            OllamaObservationContext o = (OllamaObservationContext) c;
            assertThat(o.inputMessages()).isNull();
            assertThat(o.outputMessages()).isNull();
            assertThat(o.systemInstructions()).isNull();
            assertThat(o.call().request()).isNull();
            assertThat(o.result().answer()).isNull();
            assertThat(c.getAllKeyValues() + " " + c.getContextualName() + " " + c.getName()
                + " " + o.call() + " " + o.result())
                .doesNotContain("secret-prompt", "secret-system", "Rayleigh", KEY);
          }));
      assertThat(events.seen).isNotEmpty().allSatisfy(e -> assertThat(e).doesNotContain("secret-prompt", "Rayleigh"));
      assertThat(meters.getMeters()).allSatisfy(m -> assertThat(m.getId().toString())
          .doesNotContain("secret-prompt", "secret-system", "Rayleigh", KEY));
    });
  }

  @Test
  void withTheOptInPromptAndAnswerAreRecordedAsGenAiMessages() {
    runner.withPropertyValues("ollama.observation.capture-message-content=true").run(context -> {
      OllamaClient client = context.getBean(OllamaClient.class);
      try (OllamaStream<ChatResponse> s = client.chatStream(chat("llama3.2"))) {
        s.result();
      }
      client.generate(GenerateRequest.builder().model("llama3.2").prompt(PROMPT).system(SYSTEM).build());
      ObjectMapper json = new ObjectMapper();
      assertThat(registry).hasHandledContextsThatSatisfy(contexts -> {
        Observation.Context chat = contexts.get(0);
        JsonNode input = json.readTree(chat.getHighCardinalityKeyValue("gen_ai.input.messages").getValue());
        assertThat(input.get(0).get("role").asText()).isEqualTo("user");
        assertThat(input.get(0).get("parts").get(0).get("type").asText()).isEqualTo("text");
        assertThat(input.get(0).get("parts").get(0).get("content").asText()).isEqualTo(PROMPT);
        JsonNode output = json.readTree(chat.getHighCardinalityKeyValue("gen_ai.output.messages").getValue());
        assertThat(output.get(0).get("role").asText()).isEqualTo("assistant");
        assertThat(output.get(0).get("finish_reason").asText()).isEqualTo("stop");
        assertThat(output.get(0).get("parts").get(0).get("content").asText()).isEqualTo(ANSWER);
        Observation.Context generate = contexts.get(1);
        JsonNode system = json.readTree(generate.getHighCardinalityKeyValue("gen_ai.system_instructions").getValue());
        assertThat(system.get(0).get("content").asText()).isEqualTo(SYSTEM);
        assertThat(json.readTree(generate.getHighCardinalityKeyValue("gen_ai.input.messages").getValue())
            .get(0).get("parts").get(0).get("content").asText()).isEqualTo(PROMPT);
        // Content goes to spans only: never to a meter.
        assertThat(chat.getLowCardinalityKeyValues().stream().map(KeyValue::getKey))
            .doesNotContain("gen_ai.input.messages", "gen_ai.output.messages");
      });
      assertThat(meters.getMeters()).allSatisfy(m -> assertThat(m.getId().toString())
          .doesNotContain("secret-prompt", "Rayleigh"));
    });
  }

  @Test
  void theOptInIsOffByDefaultAndDocumentedForIdes() throws Exception {
    JsonNode metadata = new ObjectMapper().readTree(
        getClass().getResourceAsStream("/META-INF/spring-configuration-metadata.json"));
    java.util.Map<String, JsonNode> byName = new java.util.HashMap<>();
    metadata.get("properties").forEach(p -> byName.put(p.get("name").asText(), p));
    assertThat(byName.get("ollama.observation.capture-message-content").path("defaultValue").asBoolean(true)).isFalse();
    assertThat(byName.get("ollama.observation.capture-message-content").path("description").asText())
        .contains("personal data");
    assertThat(byName.get("ollama.observation.max-content-length").path("defaultValue").asInt()).isEqualTo(16384);
    runner.run(context -> assertThat(context.getBean(OllamaObservationProperties.class).isCaptureMessageContent()).isFalse());
  }

  @Test
  void recordedContentIsCutAtTheConfiguredLength() {
    runner.withPropertyValues("ollama.observation.capture-message-content=true",
        "ollama.observation.max-content-length=6").run(context -> {
      context.getBean(OllamaClient.class).chat(chat("llama3.2"));
      assertThat(registry).hasSingleObservationThat()
          .hasHighCardinalityKeyValue("gen_ai.input.messages",
              "[{\"role\":\"user\",\"parts\":[{\"type\":\"text\",\"content\":\"secret…\"}]}]");
    });
  }

  /** The parent of each kind of call: the observation current where the call was made. */
  @Test
  void everyKindOfCallIsAChildOfTheObservationCurrentWhereItWasMade() {
    runner.run(context -> {
      OllamaClient client = context.getBean(OllamaClient.class);
      Observation parent = Observation.start("request", registry);
      Flow.Publisher<ChatResponse> publisher;
      try (Observation.Scope scope = parent.openScope()) {
        client.chat(chat("llama3.2"));
        try (OllamaStream<ChatResponse> s = client.chatStream(chat("llama3.2"))) {
          s.result();
        }
        client.chatStream(chat("llama3.2"), RequestOptions.none(), chunk -> {}).future().get(10, TimeUnit.SECONDS);
        publisher = client.publisher(() -> client.chatStream(chat("llama3.2")));
      }
      // Subscribed outside the parent's scope, from a thread where nothing is current.
      assertThat(registry.getCurrentObservation()).isNull();
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
      assertThat(done.await(10, TimeUnit.SECONDS)).isTrue();
      parent.stop();
      await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(registry)
          .hasNumberOfObservationsWithNameEqualTo(NAME, 4));
      assertThat(registry).hasHandledContextsThatSatisfy(contexts -> assertThat(contexts)
          .filteredOn(c -> NAME.equals(c.getName())).hasSize(4)
          .allSatisfy(c -> assertThat(c.getParentObservation()).isSameAs(parent)));
    });
  }

  @Test
  void aPublisherSubscriberThatCancelsEndsTheObservationAsCancelled() {
    runner.run(context -> {
      OllamaClient client = context.getBean(OllamaClient.class);
      java.util.concurrent.atomic.AtomicReference<Flow.Subscription> subscription =
          new java.util.concurrent.atomic.AtomicReference<>();
      client.publisher(() -> client.chatStream(chat("llama3.2"))).subscribe(new Flow.Subscriber<>() {
        @Override
        public void onSubscribe(Flow.Subscription s) {
          subscription.set(s);
          s.request(1);
        }

        @Override
        public void onNext(ChatResponse item) {
          subscription.get().cancel();
        }

        @Override
        public void onError(Throwable throwable) {}

        @Override
        public void onComplete() {}
      });
      await().atMost(Duration.ofSeconds(10)).untilAsserted(() ->
          assertThat(registry).hasSingleObservationThat().hasBeenStopped());
      assertThat(registry).hasSingleObservationThat()
          .hasHighCardinalityKeyValue("error.type", "cancelled")
          .doesNotHaveError();
      assertThat(meters.get("gen_ai.client.operation.duration").tag("error.type", "cancelled").timer().count())
          .isEqualTo(1);
    });
  }

  @Test
  void failedCallHasErrorTypeAndTheError() {
    runner.run(context -> {
      assertThatThrownBy(() -> context.getBean(OllamaClient.class).chat(chat("no-such-model")))
          .isInstanceOf(OllamaModelNotFoundException.class);
      assertThat(registry).hasSingleObservationThat()
          .hasHighCardinalityKeyValue("error.type", "404")
          // No answer: no answering model on the span, not even "none" ...
          .doesNotHaveLowCardinalityKeyValueWithKey("gen_ai.response.model")
          .doesNotHaveHighCardinalityKeyValueWithKey("gen_ai.response.model")
          .hasError()
          .hasBeenStopped();
      // ... while the meters keep one tag set: "none", as for error.type on success.
      assertThat(meters.get("gen_ai.client.operation.duration").tag("gen_ai.response.model", "none")
          .tag("error.type", "404").timer().count()).isEqualTo(1);
    });
  }

  @Test
  void streamObservationEndsAtDoneWithAFirstChunkEvent() {
    runner.run(context -> {
      try (OllamaStream<ChatResponse> s = context.getBean(OllamaClient.class).chatStream(chat("llama3.2"))) {
        var it = s.iterator();
        it.next();
        assertThat(registry).hasSingleObservationThat().hasBeenStarted().isNotStopped()
            .hasEvent(ObservationCallObserver.FIRST_CHUNK.getName());
        while (it.hasNext()) {
          it.next();
        }
        assertThat(registry).hasSingleObservationThat().hasBeenStopped();
      }
      assertThat(registry).hasSingleObservationThat()
          .doesNotHaveHighCardinalityKeyValueWithKey("error.type")
          .hasHighCardinalityKeyValue("gen_ai.request.stream", "true")
          .hasHighCardinalityKeyValueWithKey("gen_ai.response.time_to_first_chunk")
          .hasHighCardinalityKeyValue("gen_ai.response.finish_reasons", "stop")
          .hasHighCardinalityKeyValueWithKey("gen_ai.usage.output_tokens");
    });
  }

  @Test
  void streamClosedEarlyByTheCallerEndsTheObservationAsCancelled() {
    runner.run(context -> {
      try (OllamaStream<ChatResponse> s = context.getBean(OllamaClient.class).chatStream(chat("llama3.2"))) {
        s.iterator().next();
        assertThat(registry).hasSingleObservationThat().isNotStopped();
      }
      assertThat(registry).hasSingleObservationThat()
          .hasBeenStopped()
          .hasHighCardinalityKeyValue("error.type", "cancelled")
          .doesNotHaveError();
    });
  }

  @Test
  void streamThatFailsEndsTheObservationWithTheError() {
    standIn.enqueue(Fault.errorAfter(2, "model crashed"));
    runner.run(context -> {
      try (OllamaStream<ChatResponse> s = context.getBean(OllamaClient.class).chatStream(chat("llama3.2"))) {
        assertThatThrownBy(s::result).isInstanceOf(OllamaStreamException.class);
      }
      assertThat(registry).hasSingleObservationThat()
          .hasBeenStopped()
          .hasHighCardinalityKeyValue("error.type", "dev.keyway.ollama.OllamaStreamException")
          .thenError().isInstanceOf(OllamaStreamException.class);
    });
  }

  @Test
  void aPropagatingHandlerSendsTraceparentUpstreamAndTheCallIsAChildOfTheCurrentObservation() {
    registry.observationConfig().observationHandler(new Propagating(TRACEPARENT));
    runner.run(context -> {
      Observation parent = Observation.start("request", registry);
      try (Observation.Scope scope = parent.openScope()) {
        context.getBean(OllamaClient.class).chat(chat("llama3.2"));
      } finally {
        parent.stop();
      }
      assertThat(standIn.takeRequest().header("traceparent")).isEqualTo(TRACEPARENT);
      assertThat(registry).hasObservationWithNameEqualTo(NAME).that().hasParentObservationEqualTo(parent);
    });
  }

  @Test
  void aPropagatedValueWithALineBreakIsDroppedAndTheCallGoesOn() {
    registry.observationConfig().observationHandler(new Propagating(TRACEPARENT + "\r\nX-Injected: 1"));
    runner.run(context -> {
      context.getBean(OllamaClient.class).chat(chat("llama3.2"));
      var sent = standIn.takeRequest();
      assertThat(sent.header("traceparent")).isNull();
      assertThat(sent.header("X-Injected")).isNull();
      assertThat(registry).hasSingleObservationThat().hasBeenStopped();
    });
  }

  @Test
  void genAiMetersAreRecordedAlongsideTheExistingOnes() {
    runner.run(context -> {
      context.getBean(OllamaClient.class).chat(chat("llama3.2"));
      Timer duration = meters.get("gen_ai.client.operation.duration")
          .tag("gen_ai.operation.name", "chat").tag("gen_ai.provider.name", "ollama")
          .tag("gen_ai.request.model", "llama3.2").tag("gen_ai.response.model", "llama3.2")
          .tag("error.type", "none").timer();
      assertThat(duration.count()).isEqualTo(1);
      assertThat(meters.get("gen_ai.client.token.usage").tag("gen_ai.token.type", "input").summary().totalAmount())
          .isPositive();
      assertThat(meters.get("gen_ai.client.token.usage").tag("gen_ai.token.type", "output").summary().totalAmount())
          .isPositive();
      Timer existing = meters.get("ollama.client.requests").tag("endpoint", "api/chat").timer();
      assertThat(existing.count()).isEqualTo(1);
      assertThat(existing.totalTime(java.util.concurrent.TimeUnit.NANOSECONDS))
          .isEqualTo(duration.totalTime(java.util.concurrent.TimeUnit.NANOSECONDS));
      assertThat(meters.find("gen_ai.client.operation.time_to_first_chunk").timer()).isNull(); // not streamed
      assertThat(meters.get("ollama.client.model.load.duration").tag("gen_ai.request.model", "llama3.2").timer().count())
          .isEqualTo(1);
    });
  }

  @Test
  void aStreamRecordsItsTimeToFirstChunkWithTheSameTags() {
    runner.run(context -> {
      try (OllamaStream<ChatResponse> s = context.getBean(OllamaClient.class).chatStream(chat("llama3.2"))) {
        s.result();
      }
      Timer ttfc = meters.get("gen_ai.client.operation.time_to_first_chunk")
          .tag("gen_ai.operation.name", "chat").tag("gen_ai.provider.name", "ollama")
          .tag("gen_ai.request.model", "llama3.2").tag("error.type", "none").timer();
      assertThat(ttfc.count()).isEqualTo(1);
      Timer duration = meters.get("gen_ai.client.operation.duration").timer();
      assertThat(ttfc.totalTime(TimeUnit.NANOSECONDS)).isPositive()
          .isLessThanOrEqualTo(duration.totalTime(TimeUnit.NANOSECONDS));
      assertThat(meters.get("ollama.client.model.load.duration").timer().count()).isEqualTo(1);
      // One tag set for every meter: Prometheus drops a meter whose tag keys differ.
      assertThat(ttfc.getId().getTags().stream().map(io.micrometer.core.instrument.Tag::getKey).toList())
          .isEqualTo(duration.getId().getTags().stream().map(io.micrometer.core.instrument.Tag::getKey).toList());
    });
  }

  @Test
  void aConventionBeanReplacesTheDefault() {
    runner.withBean(OllamaObservationConvention.class, () -> new DefaultOllamaObservationConvention() {
      @Override
      public KeyValues getLowCardinalityKeyValues(OllamaObservationContext context) {
        return super.getLowCardinalityKeyValues(context).and(KeyValue.of("team", "search"));
      }
    }).run(context -> {
      context.getBean(OllamaClient.class).chat(chat("llama3.2"));
      assertThat(registry).hasSingleObservationThat().hasLowCardinalityKeyValue("team", "search");
      assertThat(meters.get("gen_ai.client.operation.duration").tag("team", "search").timer().count()).isEqualTo(1);
    });
  }

  @Test
  void withoutTheObservationApiTheClientStillWorks() {
    runner.withClassLoader(new FilteredClassLoader(ObservationRegistry.class)).run(context -> {
      assertThat(context).doesNotHaveBean(OllamaObservationAutoConfiguration.class);
      context.getBean(OllamaClient.class).chat(chat("llama3.2"));
      assertThat(registry).doesNotHaveAnyObservation();
      assertThat(standIn.takeRequest().header("traceparent")).isNull();
    });
  }

  /** Every event any observation saw, as text. */
  static final class Events implements ObservationHandler<Observation.Context> {
    final java.util.List<String> seen = new java.util.concurrent.CopyOnWriteArrayList<>();

    @Override
    public void onEvent(Observation.Event event, Observation.Context context) {
      seen.add(event.getName() + " " + event.getContextualName());
    }

    @Override
    public boolean supportsContext(Observation.Context context) {
      return true;
    }
  }

  /** What a tracing bridge does on start: injects its context through the sender's setter. */
  record Propagating(String value) implements ObservationHandler<SenderContext<Object>> {
    @Override
    public void onStart(SenderContext<Object> context) {
      context.getSetter().set(context.getCarrier(), "traceparent", value);
    }

    @Override
    public boolean supportsContext(Observation.Context context) {
      return context instanceof SenderContext<?>;
    }
  }
}
