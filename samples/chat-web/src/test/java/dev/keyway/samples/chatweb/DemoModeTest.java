package dev.keyway.samples.chatweb;

import static dev.keyway.samples.chatweb.Http.assertNoKey;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.keyway.ollama.testkit.OllamaStandIn;
import java.io.IOException;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpResponse;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.logging.DeferredLogs;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.context.ApplicationEvent;
import org.springframework.context.ApplicationListener;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.event.ContextClosedEvent;
import org.springframework.context.support.GenericApplicationContext;
import org.springframework.core.env.MapPropertySource;
import org.springframework.core.env.MutablePropertySources;
import org.springframework.core.env.StandardEnvironment;
import org.springframework.core.env.SystemEnvironmentPropertySource;
import org.springframework.web.context.support.StandardServletEnvironment;

/**
 * Demo mode decides from the configuration alone: the stand-in when no Ollama is configured,
 * {@code OLLAMA_HOST} / {@code OLLAMA_API_KEY} honoured otherwise. Each application is started
 * here with an environment of the test's choosing (the machine's real variables are left out).
 */
@ExtendWith(OutputCaptureExtension.class)
class DemoModeTest {

  /** Starts the sample on a free port with exactly these environment variables. */
  static ConfigurableApplicationContext start(Map<String, Object> given) {
    // PORT=0: a free port (builder properties rank below application.properties' PORT default).
    Map<String, Object> variables = new LinkedHashMap<>(given);
    variables.putIfAbsent("PORT", "0");
    StandardServletEnvironment environment = new StandardServletEnvironment() {
      @Override
      protected void customizePropertySources(MutablePropertySources sources) {
        super.customizePropertySources(sources);
        sources.replace(SYSTEM_ENVIRONMENT_PROPERTY_SOURCE_NAME,
            new SystemEnvironmentPropertySource(SYSTEM_ENVIRONMENT_PROPERTY_SOURCE_NAME, variables));
      }
    };
    return new SpringApplicationBuilder(ChatWebApplication.class).environment(environment)
        .properties("server.port=0").run();
  }

  static String url(ConfigurableApplicationContext context, String path) {
    return "http://127.0.0.1:" + context.getEnvironment().getProperty("local.server.port") + path;
  }

  @Test
  void withNoOllamaConfiguredTheStandInAnswersTheLogAndThePageSaySoAndItStopsWithTheApp(CapturedOutput output) {
    int from = output.getOut().length();
    String standInUrl;
    String key;
    try (ConfigurableApplicationContext app = start(Map.of())) {
      key = app.getEnvironment().getProperty("ollama.api-key");
      assertThat(key).startsWith("demo-").hasSizeGreaterThan(40);

      HttpResponse<String> info = Http.get(url(app, "/api/info"));
      Map<String, Object> parsed = Http.parse(info.body());
      assertThat(parsed).containsEntry("demo", true).containsEntry("model", "llama3.2");
      assertThat(parsed).doesNotContainKey("baseUrl");
      standInUrl = app.getBean(dev.keyway.ollama.OllamaClient.class).baseUrl();
      assertThat(standInUrl).startsWith("http://127.0.0.1:");
      HttpResponse<String> chat = Http.postJson(url(app, "/api/chat"), Http.chatBody(null, "Why is the sky blue?"));
      assertThat(Http.joined(Http.events(chat), "content")).contains("Keyway's stand-in");
      assertThat(chat.body()).contains("\"type\":\"done\"");
      assertNoKey(info, key);
      assertNoKey(chat, key);

      String log = output.getOut().substring(from);
      assertThat(log).contains("Demo mode: no Ollama is configured")
          .contains("Keyway's stand-in answers at " + standInUrl.replaceAll("/$", ""))
          .contains("Keyway chat is up: open http://127.0.0.1:" + app.getEnvironment().getProperty("local.server.port") + "/")
          .contains("demo mode: scripted answers")
          .doesNotContain(key);
    }
    URI closed = URI.create(standInUrl);
    assertThatThrownBy(() -> new Socket(closed.getHost(), closed.getPort()).close())
        .as("the stand-in is closed with the application").isInstanceOf(IOException.class);
  }

  @Test
  void ollamaHostAndApiKeyFromTheEnvironmentAreHonoured(CapturedOutput output) {
    String key = Http.newKey("kw-secret-env-");
    try (OllamaStandIn ollama = OllamaStandIn.builder().requireApiKey(key).build()) {
      int from = output.getOut().length();
      Map<String, Object> variables = new LinkedHashMap<>();
      variables.put("OLLAMA_HOST", "127.0.0.1:" + ollama.port()); // Ollama's own syntax: no scheme
      variables.put("OLLAMA_API_KEY", key);
      variables.put("OLLAMA_API_KEY_HEADER", "X-API-Key");
      try (ConfigurableApplicationContext app = start(variables)) {
        HttpResponse<String> info = Http.get(url(app, "/api/info"));
        assertThat(Http.parse(info.body())).containsEntry("demo", false);
        // The upstream's address is the operator's business, not the page's.
        assertThat(info.body()).doesNotContain(String.valueOf(ollama.port()));
        assertThat(app.getBean(dev.keyway.ollama.OllamaClient.class).baseUrl()).isEqualTo(ollama.baseUrl() + "/");
        HttpResponse<String> chat = Http.postJson(url(app, "/api/chat"), Http.chatBody(null, "hi"));
        assertThat(chat.statusCode()).isEqualTo(200);
        assertThat(chat.body()).contains("\"type\":\"done\"");
        assertThat(ollama.requests().get(ollama.requests().size() - 1).header("X-API-Key")).isEqualTo(key);
        assertNoKey(info, key);
        assertNoKey(chat, key);
      }
      assertThat(output.getOut().substring(from)).doesNotContain("Demo mode").doesNotContain(key);
    }
  }

  @ParameterizedTest(name = "{0}={1} -> demo {2}")
  @CsvSource({
      "OLLAMA_HOST,      127.0.0.1:11434,       false",
      "OLLAMA_HOST,      '  ',                  true",
      "ollama.base-url,  http://ollama:11434,   false",
      "ollama.host,      ollama.example.com,    false",
      "keyway.demo,      false,                 false",
      "none,             x,                     true",
  })
  void decidesFromTheConfiguration(String name, String value, boolean demo) {
    StandardEnvironment environment = new StandardEnvironment();
    MutablePropertySources sources = environment.getPropertySources();
    sources.remove(StandardEnvironment.SYSTEM_ENVIRONMENT_PROPERTY_SOURCE_NAME);
    sources.remove(StandardEnvironment.SYSTEM_PROPERTIES_PROPERTY_SOURCE_NAME);
    if (name.startsWith("OLLAMA_")) {
      sources.addLast(new SystemEnvironmentPropertySource(
          StandardEnvironment.SYSTEM_ENVIRONMENT_PROPERTY_SOURCE_NAME, Map.of(name, value)));
    } else {
      sources.addLast(new MapPropertySource("test", Map.of(name, value)));
    }
    SpringApplication application = new SpringApplication(ChatWebApplication.class);
    Set<ApplicationListener<?>> before = new HashSet<>(application.getListeners());

    new DemoMode(new DeferredLogs()).postProcessEnvironment(environment, application);

    assertThat(sources.contains("keyway-demo")).isEqualTo(demo);
    List<ApplicationListener<?>> added = application.getListeners().stream().filter(l -> !before.contains(l)).toList();
    if (!demo) {
      assertThat(added).isEmpty();
      return;
    }
    URI standIn = URI.create(environment.getProperty("ollama.base-url"));
    assertThat(environment.getProperty("ollama.api-key-header")).isEqualTo("X-API-Key");
    assertThat(environment.getProperty(DemoMode.DEMO)).isEqualTo("true");
    // The listener it registered closes the stand-in when the application's context closes.
    @SuppressWarnings("unchecked")
    ApplicationListener<ApplicationEvent> closer = (ApplicationListener<ApplicationEvent>) added.get(0);
    closer.onApplicationEvent(new ContextClosedEvent(new GenericApplicationContext()));
    assertThatThrownBy(() -> new Socket(standIn.getHost(), standIn.getPort()).close()).isInstanceOf(IOException.class);
  }
}
