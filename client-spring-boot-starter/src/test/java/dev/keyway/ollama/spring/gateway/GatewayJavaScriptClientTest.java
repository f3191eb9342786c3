package dev.keyway.ollama.spring.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import dev.keyway.ollama.testkit.OllamaStandIn;
import dev.keyway.ollama.testkit.ScriptedModel;
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * The official Ollama JavaScript client (npm {@code ollama}, unmodified, run by Node) pointed at
 * {@code http://app/ollama} works: list, chat unary and streamed, generate, and a refused model
 * surfaces as Ollama's own error shape.
 */
@SpringBootTest(classes = GatewayFixture.App.class,
    webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
    properties = {"ollama.gateway.enabled=true", "ollama.gateway.allowed-models=llama3.2"})
class GatewayJavaScriptClientTest extends GatewayFixture {
  static final String KEY = "kw-secret-js-client-upstream";
  @AutoClose static final OllamaStandIn OLLAMA = OllamaStandIn.builder().requireApiKey(KEY)
      .model(ScriptedModel.named("llama3.2").answer("Blue light scatters most.")).build();

  @DynamicPropertySource
  static void upstream(DynamicPropertyRegistry registry) {
    upstream(registry, OLLAMA::baseUrl, KEY);
  }

  /** Runs {@code script} from src/test/js with Node against {@code url}; returns its output after a zero exit. */
  static String node(String script, String url) throws Exception {
    Path js = Path.of("src/test/js").toAbsolutePath();
    assertThat(new File("/usr/bin/node")).as("Node.js is needed: apt-get install nodejs").exists();
    assertThat(js.resolve("node_modules/ollama")).as("run `npm ci` in " + js + " (the Maven build does)").exists();
    Path out = Files.createTempFile("keyway-js", ".txt");
    Process node = new ProcessBuilder("node", script, url)
        .directory(js.toFile()).redirectErrorStream(true).redirectOutput(out.toFile()).start();
    try {
      assertThat(node.waitFor(60, TimeUnit.SECONDS)).as("node finished").isTrue();
    } finally {
      node.destroyForcibly();
    }
    String output = Files.readString(out, StandardCharsets.UTF_8);
    assertThat(node.exitValue()).as(output).isZero();
    return output;
  }

  @Test
  void officialJavaScriptClientWorksThroughTheGateway() throws Exception {
    String output = node("chat.mjs", gatewayUrl());
    assertThat(output)
        .contains("list llama3.2:latest")
        .contains("chat Blue light scatters most.")
        .containsPattern("stream \\d+ Blue light scatters most\\.")
        .contains("generate Blue light scatters most.")
        .contains("refused 403 model 'not-allowed' is not allowed by this gateway")
        .doesNotContain(KEY);
    assertThat(OLLAMA.requests()).allSatisfy(r -> assertThat(r.header("X-API-Key")).isEqualTo(KEY));
  }

  @Test
  void aLimitsRefusalRejectsWithTheGatewaysErrorAsTheMessage() throws Exception {
    try (ConfigurableApplicationContext limited = LimitsApps.start(OLLAMA.baseUrl(),
        "ollama.api-key=" + KEY, "ollama.gateway.allowed-models=llama3.2",
        "ollama.limits.requests.capacity=1", "ollama.limits.requests.period=1h")) {
      String output = node("limits.mjs", "http://127.0.0.1:" + LimitsApps.port(limited) + "/ollama");
      assertThat(output)
          .contains("first Blue light scatters most.")
          .containsPattern("second ResponseError 429 message=too many requests; try again in \\d+ s\\R")
          .doesNotContain(KEY);
    }
  }
}
