package dev.keyway.ollama.spring.gateway;

import static io.micrometer.observation.tck.TestObservationRegistryAssert.assertThat;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.keyway.ollama.spring.observation.DefaultOllamaObservationConvention;
import dev.keyway.ollama.spring.observation.OllamaObservationContext;
import dev.keyway.ollama.testkit.OllamaStandIn;
import dev.keyway.ollama.testkit.RecordedRequest;
import dev.keyway.ollama.testkit.ScriptedModel;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.observation.Observation;
import io.micrometer.observation.ObservationHandler;
import io.micrometer.observation.ObservationRegistry;
import io.micrometer.observation.tck.TestObservationRegistry;
import io.micrometer.observation.transport.ReceiverContext;
import io.micrometer.observation.transport.SenderContext;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.jspecify.annotations.Nullable;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.TestConfiguration;
import org.springframework.context.annotation.Bean;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * The gateway continues the browser's trace: its relayed call is an observation of its own, the
 * child of Boot's server observation of the browser's request, named in the GenAI conventions,
 * and the trace context sent upstream carries the browser's trace id. The registry is a
 * {@link TestObservationRegistry}; {@link W3cTracer} stands in for a tracing bridge (read
 * {@code traceparent} on the server observation, write a child's on a sender observation), so
 * this test shows what the SDK hands a tracer. A real bridge exporting to Zipkin is in
 * {@code starter-tests} ({@code ZipkinExportTest}, on each Boot line).
 */
@Timeout(30)
@SpringBootTest(classes = {GatewayFixture.App.class, GatewayObservationTest.Tracing.class},
    webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
    properties = "ollama.gateway.enabled=true")
class GatewayObservationTest extends GatewayFixture {
  static final String KEY = "kw-secret-gateway-observation-2718";
  static final String TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736";
  static final String BROWSER_SPAN = "00f067aa0ba902b7";
  static final String CLIENT = DefaultOllamaObservationConvention.NAME;
  static final OllamaStandIn OLLAMA = OllamaStandIn.builder().requireApiKey(KEY)
      .model(ScriptedModel.named("llama3.2").answer("Rayleigh scattering makes the sky blue."))
      .model(ScriptedModel.named("slow").tokens(Collections.nCopies(200, "tick ").toArray(String[]::new))
          .tokenDelay(Duration.ofMillis(50)))
      .build();

  @DynamicPropertySource
  static void ollama(DynamicPropertyRegistry registry) {
    upstream(registry, OLLAMA::baseUrl, KEY);
  }

  @AfterAll
  static void stop() {
    OLLAMA.close();
  }

  @TestConfiguration(proxyBeanMethods = false)
  static class Tracing {
    @Bean
    TestObservationRegistry observationRegistry() {
      TestObservationRegistry registry = TestObservationRegistry.create();
      registry.observationConfig().observationHandler(new W3cTracer());
      return registry;
    }
  }

  /** Trace and span ids, kept on an observation's context. */
  record Ids(String traceId, String spanId) {}

  /**
   * The least a W3C tracer does: a receiver observation continues the incoming
   * {@code traceparent}'s trace; any other observation is a new span in its parent's trace; a
   * sender observation writes its own {@code traceparent} into its carrier.
   */
  static final class W3cTracer implements ObservationHandler<Observation.Context> {
    @Override
    @SuppressWarnings("unchecked")
    public void onStart(Observation.Context context) {
      String trace = null;
      if (context instanceof ReceiverContext<?> receiver && receiver.getCarrier() != null) {
        String incoming = ((ReceiverContext<Object>) receiver).getGetter().get(receiver.getCarrier(), "traceparent");
        if (incoming != null && incoming.length() == 55) {
          trace = incoming.substring(3, 35);
        }
      }
      if (trace == null) {
        Ids parent = parentIds(context);
        trace = parent != null ? parent.traceId() : hex(16);
      }
      Ids ids = new Ids(trace, hex(8));
      context.put(Ids.class, ids);
      if (context instanceof SenderContext<?> sender && sender.getCarrier() != null) {
        ((SenderContext<Object>) sender).getSetter().set(sender.getCarrier(), "traceparent",
            "00-" + ids.traceId() + "-" + ids.spanId() + "-01");
      }
    }

    private static @Nullable Ids parentIds(Observation.Context context) {
      for (var p = context.getParentObservation(); p != null; p = p.getContextView().getParentObservation()) {
        Ids ids = p.getContextView().get(Ids.class);
        if (ids != null) {
          return ids;
        }
      }
      return null;
    }

    private static String hex(int bytes) {
      byte[] b = new byte[bytes];
      ThreadLocalRandom.current().nextBytes(b);
      return HexFormat.of().formatHex(b);
    }

    @Override
    public boolean supportsContext(Observation.Context context) {
      return true;
    }
  }

  /** {@code load_duration} of every answer of the stand-in. */
  static final long LOAD_NANOS = 1_840_125L;

  @Autowired TestObservationRegistry registry;
  @Autowired ObservationRegistry applicationRegistry;
  @Autowired MeterRegistry meters;

  @BeforeEach
  void clear() {
    registry.clear();
  }

  @Test
  void theRelayedCallIsTheChildOfTheBrowsersRequestAndCarriesItsTraceUpstream() throws Exception {
    assertThat(applicationRegistry).isSameAs(registry);
    int before = OLLAMA.requests().size();
    HttpResponse<String> answer = post("/api/chat",
        "{\"model\":\"llama3.2\",\"messages\":[{\"role\":\"user\",\"content\":\"why?\"}],\"stream\":true}",
        "traceparent", "00-" + TRACE_ID + "-" + BROWSER_SPAN + "-01");
    assertThat(answer.statusCode()).isEqualTo(200);
    assertThat(answer.body()).contains("\"done\":true");

    // The client observation ends when the relay reads the stream's end, just after the browser
    // got its last bytes: a bounded wait.
    await().atMost(Duration.ofSeconds(5)).untilAsserted(() ->
        assertThat(registry).hasObservationWithNameEqualTo(CLIENT).that().hasBeenStopped());
    assertThat(registry).hasObservationWithNameEqualTo(CLIENT).that()
        .hasContextualNameEqualTo("chat llama3.2")
        .hasLowCardinalityKeyValue("gen_ai.operation.name", "chat")
        .hasLowCardinalityKeyValue("gen_ai.request.model", "llama3.2")
        .hasHighCardinalityKeyValue("gen_ai.response.model", "llama3.2") // only when there is an answer
        .hasLowCardinalityKeyValue("server.address", "127.0.0.1")
        .hasLowCardinalityKeyValue("server.port", String.valueOf(OLLAMA.port()))
        .doesNotHaveHighCardinalityKeyValueWithKey("error.type") // set on failure only
        .hasHighCardinalityKeyValueWithKey("gen_ai.usage.input_tokens")
        .hasHighCardinalityKeyValueWithKey("gen_ai.usage.output_tokens")
        .hasHighCardinalityKeyValue("gen_ai.response.finish_reasons", "stop")
        .hasEvent("ollama.first_chunk")
        .doesNotHaveError();

    assertThat(registry).hasHandledContextsThatSatisfy(contexts -> {
      Observation.Context client = only(contexts, CLIENT);
      assertThat(client).isInstanceOf(OllamaObservationContext.class);
      assertThat(client.getParentObservation()).as("parent of the client observation").isNotNull();
      Observation.ContextView parent = client.getParentObservation().getContextView();
      assertThat(parent.getName()).isEqualTo("http.server.requests");
      assertThat(parent).isInstanceOf(ReceiverContext.class);
      assertThat(parent.<Ids>get(Ids.class).traceId()).isEqualTo(TRACE_ID);
      assertThat(client.<Ids>get(Ids.class).traceId()).isEqualTo(TRACE_ID);

      RecordedRequest upstream = OLLAMA.requests().get(before);
      assertThat(upstream.path()).isEqualTo("/api/chat");
      assertThat(upstream.header("traceparent"))
          .isEqualTo("00-" + TRACE_ID + "-" + client.<Ids>get(Ids.class).spanId() + "-01")
          .doesNotContain(BROWSER_SPAN);
      assertThat(upstream.header("X-API-Key")).isEqualTo(KEY);

      // The credential is in no key value, name or contextual name of any observation.
      assertThat(contexts).allSatisfy(c -> assertThat(c.getAllKeyValues() + " " + c.getName() + " "
          + c.getContextualName()).doesNotContainIgnoringCase(KEY));
    });
  }

  @Test
  void aRelayedCallThatFailsUpstreamEndsWithItsErrorType() throws Exception {
    HttpResponse<String> answer = post("/api/chat",
        "{\"model\":\"no-such-model\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"stream\":false}",
        "traceparent", "00-" + TRACE_ID + "-" + BROWSER_SPAN + "-01");
    assertThat(answer.statusCode()).isEqualTo(404);
    assertThat(registry).hasObservationWithNameEqualTo(CLIENT).that()
        .hasContextualNameEqualTo("chat no-such-model")
        .hasHighCardinalityKeyValue("error.type", "404")
        // No answer, so no answering model on the span (the meters tag it "none").
        .doesNotHaveLowCardinalityKeyValueWithKey("gen_ai.response.model")
        .doesNotHaveHighCardinalityKeyValueWithKey("gen_ai.response.model")
        .hasError()
        .hasBeenStopped();
    assertThat(meters.get("gen_ai.client.operation.duration").tag("gen_ai.request.model", "no-such-model")
        .tag("gen_ai.response.model", "none").tag("error.type", "404").timer().count()).isEqualTo(1);
  }

  /**
   * A relayed chat carries the sampling options of the browser's body and the load duration of
   * the answer's last line, as a typed call does; the prompt is in no key value.
   */
  @Test
  void aRelayedChatCarriesTheBodysSamplingOptionsAndTheLoadDuration() throws Exception {
    HttpResponse<String> answer = post("/api/chat",
        "{\"model\":\"llama3.2\",\"messages\":[{\"role\":\"user\",\"content\":\"secret-prompt: why?\"}],"
            + "\"options\":{\"temperature\":0.2,\"num_predict\":64,\"top_p\":0.9},\"stream\":true}");
    assertThat(answer.statusCode()).isEqualTo(200);
    await().atMost(Duration.ofSeconds(5)).untilAsserted(() ->
        assertThat(registry).hasObservationWithNameEqualTo(CLIENT).that().hasBeenStopped());
    String load = String.valueOf(LOAD_NANOS / 1e9);
    assertThat(registry).hasObservationWithNameEqualTo(CLIENT).that()
        .hasContextualNameEqualTo("chat llama3.2")
        .hasHighCardinalityKeyValue("gen_ai.request.temperature", "0.2")
        .hasHighCardinalityKeyValue("gen_ai.request.max_tokens", "64")
        .hasHighCardinalityKeyValue("gen_ai.request.top_p", "0.9")
        .doesNotHaveHighCardinalityKeyValueWithKey("gen_ai.request.top_k") // not in the body
        .hasHighCardinalityKeyValue("ollama.response.load_duration", load)
        .hasHighCardinalityKeyValue("gen_ai.response.model", "llama3.2")
        .doesNotHaveLowCardinalityKeyValueWithKey("ollama.server.name") // one server
        .doesNotHaveError();
    assertThat(meters.get("ollama.client.model.load.duration").tag("gen_ai.request.model", "llama3.2")
        .timer().totalTime(TimeUnit.NANOSECONDS)).isPositive();
    assertThat(registry).hasHandledContextsThatSatisfy(contexts -> assertThat(contexts).allSatisfy(c ->
        assertThat(c.getAllKeyValues() + " " + c.getContextualName()).doesNotContain("secret-prompt", KEY)));
  }

  /**
   * The browser reads the first bytes of a relayed stream and leaves (its socket closed): the
   * gateway cancels the upstream call and the relayed call's observation ends as cancelled, long
   * before the 10 s stream would have ended.
   */
  @Test
  void theBrowserLeavingMidStreamEndsTheRelayedCallAsCancelled() throws Exception {
    byte[] body = "{\"model\":\"slow\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"stream\":true}"
        .getBytes(StandardCharsets.UTF_8);
    try (Socket browser = new Socket(InetAddress.getLoopbackAddress(), port())) {
      OutputStream out = browser.getOutputStream();
      out.write(("POST /ollama/api/chat HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
          + "traceparent: 00-" + TRACE_ID + "-" + BROWSER_SPAN + "-01\r\nContent-Length: " + body.length
          + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
      out.write(body);
      out.flush();
      InputStream in = browser.getInputStream();
      String seen = "";
      byte[] buffer = new byte[4096];
      while (!seen.contains("tick")) {
        int n = in.read(buffer);
        assertThat(n).as("bytes before the stream's first token").isPositive();
        seen += new String(buffer, 0, n, StandardCharsets.UTF_8);
      }
      assertThat(registry).hasObservationWithNameEqualTo(CLIENT).that().isNotStopped();
    }
    await().atMost(Duration.ofSeconds(8)).untilAsserted(() ->
        assertThat(registry).hasObservationWithNameEqualTo(CLIENT).that()
            .hasBeenStopped()
            .hasContextualNameEqualTo("chat slow")
            .hasHighCardinalityKeyValue("error.type", "cancelled")
            .doesNotHaveError());
  }

  private static Observation.Context only(List<Observation.Context> contexts, String name) {
    List<Observation.Context> named = contexts.stream().filter(c -> name.equals(c.getName())).toList();
    assertThat(named).as("observations named " + name).hasSize(1);
    return named.get(0);
  }
}
