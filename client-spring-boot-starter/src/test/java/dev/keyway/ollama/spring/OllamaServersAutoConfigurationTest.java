package dev.keyway.ollama.spring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.mockito.Mockito.RETURNS_SELF;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.verify;
import static org.mockito.Mockito.verifyNoInteractions;
import static org.mockito.Mockito.verifyNoMoreInteractions;

import dev.keyway.ollama.OllamaClient;
import dev.keyway.ollama.OllamaServers;
import dev.keyway.ollama.spring.actuate.OllamaHealthAutoConfiguration;
import dev.keyway.ollama.spring.actuate.OllamaMetricsAutoConfiguration;
import dev.keyway.ollama.spring.observation.OllamaObservationAutoConfiguration;
import io.micrometer.observation.ObservationRegistry;
import io.micrometer.observation.tck.TestObservationRegistry;
import io.micrometer.observation.tck.TestObservationRegistryAssert;
import dev.keyway.ollama.testkit.OllamaStandIn;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.boot.actuate.health.Health;
import org.springframework.boot.actuate.health.HealthIndicator;
import org.springframework.boot.actuate.health.Status;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.autoconfigure.ssl.SslAutoConfiguration;
import org.springframework.boot.diagnostics.FailureAnalysis;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;

/**
 * {@code ollama.servers[i].*} with ApplicationContextRunner: the bean's type and each server's
 * credential, customizers applied per server with its name, routing options passed only when set,
 * and every bad configuration failing at startup with what to fix (and never the key).
 */
@ExtendWith(OutputCaptureExtension.class)
class OllamaServersAutoConfigurationTest {
  static final String KEY_A = "kw-secret-runner-a-2718";
  static final String KEY_B = "kw-secret-runner-b-1618";

  OllamaStandIn a;
  OllamaStandIn b;
  ApplicationContextRunner runner;

  @BeforeEach
  void setUp() {
    a = OllamaStandIn.builder().requireApiKey(KEY_A).build();
    b = OllamaStandIn.builder().requireBearer(KEY_B).build();
    runner = new ApplicationContextRunner()
        .withConfiguration(AutoConfigurations.of(OllamaAutoConfiguration.class,
            OllamaHealthAutoConfiguration.class, OllamaMetricsAutoConfiguration.class,
            SslAutoConfiguration.class))
        .withPropertyValues(
            "ollama.servers[0].name=a", "ollama.servers[0].base-url=" + a.baseUrl(),
            "ollama.servers[0].api-key=" + KEY_A, "ollama.servers[0].api-key-header=X-API-Key",
            "ollama.servers[1].name=b", "ollama.servers[1].base-url=" + b.baseUrl(),
            "ollama.servers[1].api-key=" + KEY_B, "ollama.servers[1].max-concurrent=2",
            "ollama.retry.max-retries=0");
  }

  @AfterEach
  void tearDown() {
    a.close();
    b.close();
  }

  @Test
  void serversMakeOneOllamaServersBeanWithEachServersOwnCredential() {
    runner.run(context -> {
      assertThat(context).hasSingleBean(OllamaClient.class).hasSingleBean(OllamaServers.class);
      OllamaServers servers = context.getBean(OllamaServers.class);
      assertThat(context.getBean(OllamaClient.class)).isSameAs(servers);
      assertThat(servers.names()).containsExactly("a", "b");
      assertThat(servers.server("a").version()).isNotBlank();
      assertThat(servers.server("b").version()).isNotBlank(); // absent header: Bearer
      assertThat(a.requests()).allSatisfy(r -> assertThat(r.header("X-API-Key")).isEqualTo(KEY_A));
      assertThat(b.requests()).allSatisfy(r -> assertThat(r.header("Authorization")).isEqualTo("Bearer " + KEY_B));
    });
  }

  @Test
  void withoutServersTheBeanIsTheSingleClient() {
    new ApplicationContextRunner()
        .withConfiguration(AutoConfigurations.of(OllamaAutoConfiguration.class))
        .withPropertyValues("ollama.base-url=" + a.baseUrl())
        .run(context -> {
          assertThat(context).hasSingleBean(OllamaClient.class).doesNotHaveBean(OllamaServers.class);
          assertThat(context.getBean(OllamaClient.class).baseUrl()).isEqualTo(a.baseUrl() + "/");
        });
  }

  @Test
  void theUsersOwnClientWinsOverServers() {
    runner.withBean(OllamaClient.class, () -> OllamaClient.builder().baseUrl(a.baseUrl()).build())
        .run(context -> assertThat(context).hasSingleBean(OllamaClient.class).doesNotHaveBean(OllamaServers.class));
  }

  @Test
  void everyCustomizerIsAppliedToEachServerWithItsName() {
    List<String> seen = new CopyOnWriteArrayList<>();
    runner.withBean("recording", OllamaClientCustomizer.class, () -> new OllamaClientCustomizer() {
      @Override
      public void customize(OllamaClient.Builder builder) {
        seen.add("(no name)");
      }

      @Override
      public void customize(String server, OllamaClient.Builder builder) {
        seen.add(server);
      }
    }).withBean("plain", OllamaClientCustomizer.class, () -> builder -> seen.add("plain"))
        .run(context -> {
          assertThat(context).hasNotFailed();
          assertThat(seen).containsExactlyInAnyOrder("a", "plain", "b", "plain");
        });
  }

  @Test
  void routingOptionsArePassedOnlyWhenSet() {
    OllamaProperties.Routing routing = new OllamaProperties.Routing();
    OllamaServers.Builder untouched = mock(OllamaServers.Builder.class, RETURNS_SELF);
    OllamaAutoConfiguration.applyRouting(routing, untouched);
    verifyNoInteractions(untouched);

    routing.setPsInterval(Duration.ofSeconds(2));
    routing.setMaxAttempts(5);
    routing.setMaxConcurrentWait(Duration.ofMillis(250));
    OllamaServers.Builder builder = mock(OllamaServers.Builder.class, RETURNS_SELF);
    OllamaAutoConfiguration.applyRouting(routing, builder);
    verify(builder).psInterval(Duration.ofSeconds(2));
    verify(builder).maxAttempts(5);
    verify(builder).maxConcurrentWait(Duration.ofMillis(250));
    verifyNoMoreInteractions(builder);
  }

  @Test
  void routingOptionsBind() {
    runner.withPropertyValues("ollama.routing.ps-interval=2s", "ollama.routing.tags-interval=1m",
            "ollama.routing.poll-timeout=500ms", "ollama.routing.breaker-open-duration=5s",
            "ollama.routing.max-attempts=4", "ollama.routing.max-concurrent-wait=2s")
        .run(context -> {
          OllamaProperties.Routing routing = context.getBean(OllamaProperties.class).getRouting();
          assertThat(routing.getPsInterval()).isEqualTo(Duration.ofSeconds(2));
          assertThat(routing.getTagsInterval()).isEqualTo(Duration.ofMinutes(1));
          assertThat(routing.getPollTimeout()).isEqualTo(Duration.ofMillis(500));
          assertThat(routing.getBreakerOpenDuration()).isEqualTo(Duration.ofSeconds(5));
          assertThat(routing.getMaxAttempts()).isEqualTo(4);
          assertThat(routing.getMaxConcurrentWait()).isEqualTo(Duration.ofSeconds(2));
        });
  }

  @Test
  void healthIsUpWhileOneServerIsUsableAndShowsEachServer() {
    runner.withPropertyValues("ollama.servers[1].api-key=kw-secret-runner-wrong-b").run(context -> {
      OllamaServers servers = context.getBean(OllamaServers.class);
      servers.refresh();
      Health health = ((HealthIndicator) context.getBean("ollamaHealthIndicator")).health();
      assertThat(health.getStatus()).isEqualTo(Status.UP);
      assertThat(health.getDetails()).containsOnlyKeys("servers");
      assertThat(health.toString()).contains("status=UP").contains("credential rejected (401)")
          .doesNotContain("kw-secret");
    });
    runner.withPropertyValues("ollama.servers[0].api-key=kw-secret-runner-wrong-a",
        "ollama.servers[1].api-key=kw-secret-runner-wrong-b").run(context -> {
          context.getBean(OllamaServers.class).refresh();
          Health health = ((HealthIndicator) context.getBean("ollamaHealthIndicator")).health();
          assertThat(health.getStatus()).isEqualTo(Status.DOWN);
        });
  }

  @Test
  void theRoutersPollsAreNotObservedButCallsAre() {
    TestObservationRegistry observations = TestObservationRegistry.create();
    runner.withConfiguration(AutoConfigurations.of(OllamaObservationAutoConfiguration.class))
        .withBean(ObservationRegistry.class, () -> observations)
        .run(context -> {
          OllamaServers servers = context.getBean(OllamaServers.class);
          servers.refresh(); // two servers, /api/ps and /api/tags each: four polls
          servers.version();
          TestObservationRegistryAssert.assertThat(observations).hasNumberOfObservationsEqualTo(1);
        });
  }

  void failsWith(String expected, String... properties) {
    runner.withPropertyValues(properties).run(context -> {
      assertThat(context).hasFailed();
      Throwable failure = context.getStartupFailure();
      FailureAnalysis analysis = new OllamaConfigurationFailureAnalyzer().analyze(failure);
      assertThat(analysis).isNotNull();
      assertThat(analysis.getCause()).isInstanceOf(InvalidServersException.class);
      assertThat(analysis.getDescription()).contains(expected).doesNotContain("kw-secret");
      assertThat(analysis.getAction()).contains("ollama.servers[i]");
    });
  }

  @Test
  void aServerWithoutANameFailsAtStartup() {
    failsWith("ollama.servers[2].name is missing", "ollama.servers[2].base-url=" + a.baseUrl());
  }

  @Test
  void aServerWithoutABaseUrlFailsAtStartup() {
    failsWith("ollama.servers[2].base-url is missing", "ollama.servers[2].name=c",
        "ollama.servers[2].api-key=kw-secret-runner-c");
  }

  @Test
  void aNameUsedTwiceFailsAtStartup() {
    failsWith("ollama.servers[2].name 'a'", "ollama.servers[2].name=a",
        "ollama.servers[2].base-url=" + b.baseUrl());
  }

  @Test
  void baseUrlAndServersTogetherFailAtStartup() {
    failsWith("both ollama.base-url and ollama.servers", "ollama.base-url=" + a.baseUrl());
  }

  @Test
  void aMalformedBaseUrlNamesItsServerButNotItsKey() {
    failsWith("ollama.servers[1] (b)", "ollama.servers[1].base-url=ftp://nowhere");
  }

  @Test
  void aPlainHttpServerFailsWhenHttpsIsRequired() {
    runner.withPropertyValues("ollama.require-https=true", "ollama.servers[1].base-url=http://ollama.example.com")
        .run(context -> {
          assertThat(context).hasFailed();
          assertThat(new OllamaConfigurationFailureAnalyzer().analyze(context.getStartupFailure()))
              .isNotNull();
          assertThat(context.getStartupFailure()).rootCause().isInstanceOf(IllegalArgumentException.class);
        });
  }

  @Test
  void keysNeverAppearInPropertiesToStringOrLogs(CapturedOutput output) {
    runner.run(context -> {
      assertThat(context.getBean(OllamaProperties.class).toString()).contains("[redacted]")
          .doesNotContain(KEY_A).doesNotContain(KEY_B);
      assertThat(context.getBean(OllamaServers.class).toString()).doesNotContain("kw-secret");
    });
    assertThat(output.getAll()).doesNotContain("kw-secret");
  }
}
