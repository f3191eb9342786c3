package dev.keyway.ollama.spring.observation;

import static io.micrometer.observation.tck.TestObservationRegistryAssert.assertThat;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

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
          .hasLowCardinalityKeyValueWithKey("gen_ai.response.model")
          .hasLowCardinalityKeyValue("server.address", "127.0.0.1")
          .hasLowCardinalityKeyValue("server.port", String.valueOf(standIn.port()))
          .hasLowCardinalityKeyValue("error.type", "none")
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
  void noPromptOrAnswerTextInKeyValuesOrMeters() {
    runner.run(context -> {
      OllamaClient client = context.getBean(OllamaClient.class);
      client.chat(chat("llama3.2"));
      try (OllamaStream<ChatResponse> s = client.chatStream(chat("llama3.2"))) {
        s.result();
      }
      assertThat(registry).hasNumberOfObservationsEqualTo(2).hasHandledContextsThatSatisfy(contexts ->
          assertThat(contexts).allSatisfy(c -> assertThat(c.getAllKeyValues() + " " + c.getContextualName()
              + " " + c.getName()).doesNotContain("secret-prompt", "Rayleigh", KEY)));
      assertThat(meters.getMeters()).allSatisfy(m -> assertThat(m.getId().toString())
          .doesNotContain("secret-prompt", "Rayleigh", KEY));
    });
  }

  @Test
  void failedCallHasErrorTypeAndTheError() {
    runner.run(context -> {
      assertThatThrownBy(() -> context.getBean(OllamaClient.class).chat(chat("no-such-model")))
          .isInstanceOf(OllamaModelNotFoundException.class);
      assertThat(registry).hasSingleObservationThat()
          .hasLowCardinalityKeyValue("error.type", "model_not_found")
          .hasLowCardinalityKeyValue("gen_ai.response.model", "none")
          .hasError()
          .hasBeenStopped();
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
          .hasLowCardinalityKeyValue("error.type", "none")
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
          .hasLowCardinalityKeyValue("error.type", "cancelled")
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
          .hasLowCardinalityKeyValue("error.type", "stream_error")
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
          .tag("gen_ai.request.model", "llama3.2").tag("error.type", "none").timer();
      assertThat(duration.count()).isEqualTo(1);
      assertThat(meters.get("gen_ai.client.token.usage").tag("gen_ai.token.type", "input").summary().totalAmount())
          .isPositive();
      assertThat(meters.get("gen_ai.client.token.usage").tag("gen_ai.token.type", "output").summary().totalAmount())
          .isPositive();
      Timer existing = meters.get("ollama.client.requests").tag("endpoint", "api/chat").timer();
      assertThat(existing.count()).isEqualTo(1);
      assertThat(existing.totalTime(java.util.concurrent.TimeUnit.NANOSECONDS))
          .isEqualTo(duration.totalTime(java.util.concurrent.TimeUnit.NANOSECONDS));
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
