package dev.keyway.ollama.spring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.mockito.Mockito.RETURNS_SELF;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.verify;
import static org.mockito.Mockito.verifyNoInteractions;
import static org.mockito.Mockito.verifyNoMoreInteractions;

import dev.keyway.ollama.OllamaClient;
import dev.keyway.ollama.OllamaTransportException;
import dev.keyway.ollama.spring.actuate.OllamaHealthAutoConfiguration;
import dev.keyway.ollama.spring.actuate.OllamaMetricsAutoConfiguration;
import dev.keyway.ollama.testkit.OllamaStandIn;
import dev.keyway.ollama.testkit.RecordedRequest;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.boot.actuate.health.Health;
import org.springframework.boot.actuate.health.HealthIndicator;
import org.springframework.boot.actuate.health.Status;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.autoconfigure.ssl.SslAutoConfiguration;
import org.springframework.boot.convert.DurationStyle;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.core.annotation.Order;

/** The starter with ApplicationContextRunner, against the testkit stand-in behind a key. */
@ExtendWith(OutputCaptureExtension.class)
class OllamaAutoConfigurationTest {
  static final String KEY = "kw-secret-starter-5150";

  OllamaStandIn standIn;
  ApplicationContextRunner runner;

  @BeforeEach
  void setUp() {
    standIn = OllamaStandIn.builder().requireApiKey(KEY).build();
    runner = new ApplicationContextRunner()
        .withConfiguration(AutoConfigurations.of(OllamaAutoConfiguration.class,
            OllamaHealthAutoConfiguration.class, OllamaMetricsAutoConfiguration.class,
            SslAutoConfiguration.class))
        .withPropertyValues("ollama.base-url=" + standIn.baseUrl(), "ollama.api-key=" + KEY,
            "ollama.api-key-header=X-API-Key");
  }

  @AfterEach
  void tearDown() {
    standIn.close();
  }

  @Test
  void clientReachesAProtectedOllamaWithTheConfiguredHeader() {
    runner.run(context -> {
      OllamaClient client = context.getBean(OllamaClient.class);
      assertThat(client.version()).isNotBlank();
      assertThat(standIn.takeRequest().header("X-API-Key")).isEqualTo(KEY);
    });
  }

  @Test
  void emptyHeaderMeansBearer() {
    try (OllamaStandIn bearer = OllamaStandIn.builder().requireBearer(KEY).build()) {
      runner.withPropertyValues("ollama.base-url=" + bearer.baseUrl(), "ollama.api-key-header=")
          .run(context -> {
            context.getBean(OllamaClient.class).listModels();
            assertThat(bearer.takeRequest().header("Authorization")).isEqualTo("Bearer " + KEY);
          });
    }
  }

  @Test
  void ollamasOwnEnvironmentVariablesBindByRelaxedBinding() {
    new ApplicationContextRunner()
        .withConfiguration(AutoConfigurations.of(OllamaAutoConfiguration.class))
        // An environment property source, mapped the way Spring maps real environment variables.
        .withInitializer(ctx -> ctx.getEnvironment().getPropertySources().addFirst(
            new org.springframework.core.env.SystemEnvironmentPropertySource("test-systemEnvironment",
                Map.<String, Object>of("OLLAMA_HOST", standIn.baseUrl(), "OLLAMA_API_KEY", KEY,
                    "OLLAMA_API_KEY_HEADER", "X-API-Key"))))
        .run(context -> {
          OllamaClient client = context.getBean(OllamaClient.class);
          assertThat(client.baseUrl()).isEqualTo(standIn.baseUrl() + "/");
          client.listModels();
          assertThat(standIn.takeRequest().header("X-API-Key")).isEqualTo(KEY);
        });
  }

  @Test
  void ollamaHostUsesOllamasParsingWhenNoBaseUrlIsSet() {
    new ApplicationContextRunner()
        .withConfiguration(AutoConfigurations.of(OllamaAutoConfiguration.class))
        .withPropertyValues("ollama.host=ollama.com")
        .run(context -> assertThat(context.getBean(OllamaClient.class).baseUrl()).isEqualTo("https://ollama.com/"));
  }

  @Test
  void defaultsToLocalOllama() {
    new ApplicationContextRunner()
        .withConfiguration(AutoConfigurations.of(OllamaAutoConfiguration.class))
        .run(context -> assertThat(context.getBean(OllamaClient.class).baseUrl()).isEqualTo("http://127.0.0.1:11434/"));
  }

  @Test
  void usersOwnClientWins() {
    OllamaClient mine = OllamaClient.builder().baseUrl("http://127.0.0.1:1").build();
    runner.withBean(OllamaClient.class, () -> mine)
        .run(context -> assertThat(context.getBean(OllamaClient.class)).isSameAs(mine));
    mine.close();
  }

  @Test
  void customizersAreAppliedInOrder() {
    List<String> order = new ArrayList<>();
    runner.withBean("second", OllamaClientCustomizer.class, () -> new Second(order))
        .withBean("first", OllamaClientCustomizer.class, () -> new First(order))
        .run(context -> {
          context.getBean(OllamaClient.class);
          assertThat(order).containsExactly("first", "second");
        });
  }

  @Order(1)
  record First(List<String> order) implements OllamaClientCustomizer {
    @Override
    public void customize(OllamaClient.Builder builder) {
      order.add("first");
    }
  }

  @Order(2)
  record Second(List<String> order) implements OllamaClientCustomizer {
    @Override
    public void customize(OllamaClient.Builder builder) {
      order.add("second");
    }
  }

  @Test
  void clientIsClosedWithTheContext() {
    OllamaClient[] client = new OllamaClient[1];
    runner.run(context -> client[0] = context.getBean(OllamaClient.class));
    assertThatThrownBy(() -> client[0].chatStream(
            dev.keyway.ollama.model.ChatRequest.builder().model("m").build(), chunk -> { }))
        .isInstanceOf(IllegalStateException.class).hasMessageContaining("closed");
  }

  @Test
  void healthIsUpWithVersionAndLocationButNoKey() {
    runner.run(context -> {
      Health health = ((HealthIndicator) context.getBean("ollamaHealthIndicator")).health();
      assertThat(health.getStatus()).isEqualTo(Status.UP);
      assertThat(health.getDetails()).containsEntry("location", standIn.baseUrl() + "/").containsKey("version");
      assertThat(health.toString()).doesNotContain(KEY);
    });
  }

  @Test
  void healthSaysWhenOurCredentialIsRejected() {
    runner.withPropertyValues("ollama.api-key=wrong-key").run(context -> {
      Health health = ((HealthIndicator) context.getBean("ollamaHealthIndicator")).health();
      assertThat(health.getStatus()).isEqualTo(Status.DOWN);
      assertThat(health.getDetails().get("reason").toString())
          .contains("rejected our credential (check ollama.api-key / ollama.api-key-header)");
      assertThat(health.toString()).doesNotContain("wrong-key");
    });
  }

  @Test
  void healthSaysWhenOllamaIsUnreachable() {
    runner.withPropertyValues("ollama.base-url=http://127.0.0.1:1", "ollama.retry.max-retries=0").run(context -> {
      Health health = ((HealthIndicator) context.getBean("ollamaHealthIndicator")).health();
      assertThat(health.getStatus()).isEqualTo(Status.DOWN);
      assertThat(health.getDetails()).containsEntry("reason", "unreachable");
    });
  }

  @Test
  void healthCanBeSwitchedOffAndNeedsActuator() {
    runner.withPropertyValues("management.health.ollama.enabled=false")
        .run(context -> assertThat(context).doesNotHaveBean("ollamaHealthIndicator"));
    runner.withClassLoader(new FilteredClassLoader("org.springframework.boot.actuate.health",
            "org.springframework.boot.health"))
        .run(context -> {
          assertThat(context).hasSingleBean(OllamaClient.class);
          assertThat(context).doesNotHaveBean("ollamaHealthIndicator");
        });
  }

  @Test
  void healthFollowsBootsDefaultsSwitchUnlessOllamaIsEnabledByName() {
    runner.run(context -> assertThat(context).hasBean("ollamaHealthIndicator"));
    runner.withPropertyValues("management.health.defaults.enabled=false")
        .run(context -> {
          assertThat(context).hasSingleBean(OllamaClient.class);
          assertThat(context).doesNotHaveBean("ollamaHealthIndicator");
        });
    runner.withPropertyValues("management.health.defaults.enabled=false", "management.health.ollama.enabled=true")
        .run(context -> assertThat(context).hasBean("ollamaHealthIndicator"));
  }

  @Test
  void metricsRecordRequestsByEndpointModelAndOutcomeWithLowCardinalityTags() {
    runner.withBean(MeterRegistry.class, SimpleMeterRegistry::new).run(context -> {
      OllamaClient client = context.getBean(OllamaClient.class);
      client.chat(dev.keyway.ollama.model.ChatRequest.builder().model("llama3.2")
          .addMessage(dev.keyway.ollama.model.Message.user("secret prompt text")).build());
      try (var stream = client.chatStream(dev.keyway.ollama.model.ChatRequest.builder().model("llama3.2")
          .addMessage(dev.keyway.ollama.model.Message.user("secret prompt text")).build())) {
        stream.result();
      }
      MeterRegistry registry = context.getBean(MeterRegistry.class);
      assertThat(registry.get("ollama.client.requests").tag("endpoint", "api/chat").tag("model", "llama3.2")
          .tag("outcome", "success").tag("streamed", "false").timer().count()).isEqualTo(1);
      assertThat(registry.get("ollama.client.time.to.first.token").timer().count()).isEqualTo(1);
      assertThat(registry.get("ollama.client.generated.tokens").summary().totalAmount()).isPositive();
      String everything = registry.getMeters().stream().map(m -> m.getId().toString()).reduce("", String::concat);
      assertThat(everything).doesNotContain(KEY).doesNotContain("secret prompt text");
    });
  }

  @Test
  void withoutMicrometerTheClientStillWorks() {
    runner.withClassLoader(new FilteredClassLoader(MeterRegistry.class)).run(context ->
        assertThat(context.getBean(OllamaClient.class).version()).isNotBlank());
  }

  @Test
  void sslBundleTrustsAPrivateCa(@org.junit.jupiter.api.io.TempDir Path dir) throws Exception {
    okhttp3.tls.HeldCertificate root = new okhttp3.tls.HeldCertificate.Builder().certificateAuthority(0).build();
    okhttp3.tls.HeldCertificate leaf = new okhttp3.tls.HeldCertificate.Builder().signedBy(root)
        .addSubjectAlternativeName("127.0.0.1").build();
    Path rootPem = dir.resolve("root.crt");
    Files.writeString(rootPem, root.certificatePem());
    try (okhttp3.mockwebserver.MockWebServer tls = new okhttp3.mockwebserver.MockWebServer()) {
      tls.useHttps(new okhttp3.tls.HandshakeCertificates.Builder().heldCertificate(leaf).build()
          .sslSocketFactory(), false);
      tls.enqueue(new okhttp3.mockwebserver.MockResponse().setBody("{\"version\":\"9.9.9\"}"));
      tls.start();
      String url = "https://127.0.0.1:" + tls.getPort();
      runner.withPropertyValues("ollama.base-url=" + url, "ollama.ssl.bundle=ollama-ca",
              "spring.ssl.bundle.pem.ollama-ca.truststore.certificate=file:" + rootPem)
          .run(context -> assertThat(context.getBean(OllamaClient.class).version()).isEqualTo("9.9.9"));
      runner.withPropertyValues("ollama.base-url=" + url, "ollama.retry.max-retries=0")
          .run(context -> assertThatThrownBy(() -> context.getBean(OllamaClient.class).version())
              .isInstanceOf(OllamaTransportException.class).hasMessageContaining("ollama.ssl.bundle"));
    }
  }

  @Test
  void keyNeverAppearsInLogsOrPropertiesToString(CapturedOutput output) {
    runner.withPropertyValues("logging.level.dev.keyway=TRACE").run(context -> {
      context.getBean(OllamaClient.class).listModels();
      assertThat(context.getBean(OllamaProperties.class).toString()).doesNotContain(KEY);
      assertThat(context.getBean(OllamaClient.class).toString()).doesNotContain(KEY);
    });
    assertThat(output.getAll()).doesNotContain(KEY);
  }

  @Test
  void configurationMetadataDocumentsEveryProperty() throws Exception {
    var json = new com.fasterxml.jackson.databind.ObjectMapper().readTree(
        getClass().getResourceAsStream("/META-INF/spring-configuration-metadata.json"));
    List<String> names = new ArrayList<>();
    json.get("properties").forEach(p -> {
      names.add(p.get("name").asText());
      assertThat(p.path("description").asText()).as(p.get("name").asText()).isNotBlank();
    });
    assertThat(names).contains("ollama.base-url", "ollama.host", "ollama.api-key", "ollama.api-key-header",
        "ollama.connect-timeout", "ollama.read-timeout", "ollama.call-timeout", "ollama.retry.max-retries",
        "ollama.retry.initial-backoff", "ollama.retry.max-backoff", "ollama.require-https", "ollama.ssl.bundle");
  }

  @Test
  void nothingConfiguredPassesNothingSoTheClientGetsItsOwnDefaults() {
    new ApplicationContextRunner()
        .withConfiguration(AutoConfigurations.of(OllamaAutoConfiguration.class))
        .run(context -> {
          OllamaClient.Builder builder = mock(OllamaClient.Builder.class, RETURNS_SELF);
          OllamaAutoConfiguration.applyProperties(context.getBean(OllamaProperties.class), builder);
          verifyNoInteractions(builder);
        });
  }

  @Test
  void whatIsConfiguredIsPassedAndAHalfSetBackoffKeepsTheClientsOtherHalf() {
    new ApplicationContextRunner()
        .withConfiguration(AutoConfigurations.of(OllamaAutoConfiguration.class))
        .withPropertyValues("ollama.host=ollama.com", "ollama.connect-timeout=3s", "ollama.read-timeout=4s",
            "ollama.call-timeout=5s", "ollama.retry.max-retries=0", "ollama.retry.max-backoff=7s",
            "ollama.require-https=true")
        .run(context -> {
          OllamaClient.Builder builder = mock(OllamaClient.Builder.class, RETURNS_SELF);
          OllamaAutoConfiguration.applyProperties(context.getBean(OllamaProperties.class), builder);
          verify(builder).ollamaHost("ollama.com");
          verify(builder).connectTimeout(Duration.ofSeconds(3));
          verify(builder).readTimeout(Duration.ofSeconds(4));
          verify(builder).callTimeout(Duration.ofSeconds(5));
          verify(builder).maxRetries(0);
          verify(builder).retryBackoff(OllamaClient.DEFAULT_INITIAL_BACKOFF, Duration.ofSeconds(7));
          verify(builder).requireHttps(true);
          verifyNoMoreInteractions(builder);
        });
  }

  @Test
  void configurationMetadataDocumentsTheClientsBackoffDefaults() throws Exception {
    var json = new com.fasterxml.jackson.databind.ObjectMapper().readTree(
        getClass().getResourceAsStream("/META-INF/spring-configuration-metadata.json"));
    Map<String, String> defaults = new java.util.HashMap<>();
    json.get("properties").forEach(p -> defaults.put(p.get("name").asText(), p.path("defaultValue").asText()));
    assertThat(DurationStyle.detectAndParse(defaults.get("ollama.retry.initial-backoff")))
        .isEqualTo(OllamaClient.DEFAULT_INITIAL_BACKOFF);
    assertThat(DurationStyle.detectAndParse(defaults.get("ollama.retry.max-backoff")))
        .isEqualTo(OllamaClient.DEFAULT_MAX_BACKOFF);
    assertThat(defaults).containsEntry("ollama.connect-timeout", "10s").containsEntry("ollama.read-timeout", "10m")
        .containsEntry("ollama.retry.max-retries", "2").containsEntry("ollama.require-https", "false");
  }

  @Test
  void requestsCarryNoKeyWhenNoneIsConfigured() {
    new ApplicationContextRunner()
        .withConfiguration(AutoConfigurations.of(OllamaAutoConfiguration.class))
        .withPropertyValues("ollama.base-url=" + standIn.baseUrl())
        .run(context -> {
          assertThatThrownBy(() -> context.getBean(OllamaClient.class).listModels())
              .isInstanceOf(dev.keyway.ollama.OllamaAuthenticationException.class);
          RecordedRequest request = standIn.takeRequest();
          assertThat(request.header("X-API-Key")).isNull();
          assertThat(request.header("Authorization")).isNull();
        });
  }
}
