package dev.keyway.ollama.spring.observation;

import static io.micrometer.observation.tck.TestObservationRegistryAssert.assertThat;
import static org.assertj.core.api.Assertions.assertThat;

import dev.keyway.ollama.OllamaServers;
import dev.keyway.ollama.PassThroughRequest;
import dev.keyway.ollama.PassThroughResponse;
import dev.keyway.ollama.model.ChatRequest;
import dev.keyway.ollama.model.Message;
import dev.keyway.ollama.spring.OllamaAutoConfiguration;
import dev.keyway.ollama.spring.actuate.OllamaMetricsAutoConfiguration;
import dev.keyway.ollama.testkit.OllamaStandIn;
import dev.keyway.ollama.testkit.ScriptedModel;
import io.micrometer.common.KeyValue;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.micrometer.observation.Observation;
import io.micrometer.observation.ObservationRegistry;
import io.micrometer.observation.tck.TestObservationRegistry;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

/**
 * Over several servers ({@code ollama.servers[i]}) every call's observation names the configured
 * server it went to, as a low-cardinality key value (so the GenAI meters carry it too); the
 * single-server client's have none ({@code OllamaObservationTest}).
 */
@Timeout(30)
class OllamaServersObservationTest {
  static final String KEY_A = "kw-secret-servers-observation-a-4242";
  static final String KEY_B = "kw-secret-servers-observation-b-5353";
  static final String SERVER = DefaultOllamaObservationConvention.SERVER_NAME;
  static final ChatRequest CHAT = ChatRequest.builder().model("llama3.2").addMessage(Message.user("hi")).build();

  OllamaStandIn a;
  OllamaStandIn b;
  TestObservationRegistry registry;
  SimpleMeterRegistry meters;
  ApplicationContextRunner runner;

  @BeforeEach
  void setUp() {
    a = OllamaStandIn.builder().requireApiKey(KEY_A).model(ScriptedModel.named("llama3.2").answer("from a")).build();
    b = OllamaStandIn.builder().requireApiKey(KEY_B).model(ScriptedModel.named("llama3.2").answer("from b")).build();
    registry = TestObservationRegistry.create();
    meters = new SimpleMeterRegistry();
    runner = new ApplicationContextRunner()
        .withConfiguration(AutoConfigurations.of(OllamaAutoConfiguration.class,
            OllamaMetricsAutoConfiguration.class, OllamaObservationAutoConfiguration.class))
        .withBean(ObservationRegistry.class, () -> registry)
        .withBean(MeterRegistry.class, () -> meters)
        .withPropertyValues(
            "ollama.servers[0].name=alpha", "ollama.servers[0].base-url=" + a.baseUrl(),
            "ollama.servers[0].api-key=" + KEY_A, "ollama.servers[0].api-key-header=X-API-Key",
            "ollama.servers[1].name=beta", "ollama.servers[1].base-url=" + b.baseUrl(),
            "ollama.servers[1].api-key=" + KEY_B, "ollama.servers[1].api-key-header=X-API-Key",
            "ollama.retry.max-retries=0");
  }

  @AfterEach
  void tearDown() {
    a.close();
    b.close();
  }

  @Test
  void everyCallNamesTheServerItWentToTypedRelayedAndRouted() {
    runner.run(context -> {
      OllamaServers servers = context.getBean(OllamaServers.class);
      servers.server("alpha").chat(CHAT);
      servers.server("beta").chat(CHAT);
      try (PassThroughResponse relayed = servers.server("beta").passThrough(PassThroughRequest.post("api/chat",
          "{\"model\":\"llama3.2\",\"stream\":false}".getBytes(StandardCharsets.UTF_8)).model("llama3.2"))) {
        relayed.body().readAllBytes();
      }
      servers.chat(CHAT); // routed: to either
      Map<String, String> ports = Map.of("alpha", String.valueOf(a.port()), "beta", String.valueOf(b.port()));
      assertThat(registry).hasHandledContextsThatSatisfy(contexts -> {
        List<Observation.Context> chats = contexts.stream()
            .filter(c -> DefaultOllamaObservationConvention.NAME.equals(c.getName()))
            .filter(c -> "chat".equals(c.getLowCardinalityKeyValue("gen_ai.operation.name").getValue()))
            .toList();
        assertThat(chats).hasSize(4);
        List<String> names = chats.stream().map(c -> {
          KeyValue server = c.getLowCardinalityKeyValue(SERVER);
          assertThat(server).as("%s on %s", SERVER, c.getContextualName()).isNotNull();
          // The name is the server the call reached: its port is that server's.
          assertThat(c.getLowCardinalityKeyValue("server.port").getValue()).isEqualTo(ports.get(server.getValue()));
          return server.getValue();
        }).toList();
        assertThat(names.subList(0, 3)).containsExactly("alpha", "beta", "beta");
        assertThat(names.get(3)).isIn("alpha", "beta");
        // No credential in any key value of any observation.
        assertThat(contexts).allSatisfy(c -> assertThat(c.getAllKeyValues() + " " + c.getContextualName())
            .doesNotContain("kw-secret"));
      });
      // The GenAI meters are tagged with it (a low-cardinality key value), one series per server.
      assertThat(meters.get("gen_ai.client.operation.duration").tag(SERVER, "alpha").timers()
          .stream().mapToLong(t -> t.count()).sum()).isBetween(1L, 2L);
      assertThat(meters.get("gen_ai.client.operation.duration").tag(SERVER, "beta").timers()
          .stream().mapToLong(t -> t.count()).sum()).isBetween(2L, 3L);
      assertThat(meters.getMeters()).allSatisfy(m -> assertThat(m.getId().toString()).doesNotContain("kw-secret"));
    });
  }
}
