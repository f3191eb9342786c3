package dev.keyway.samples.chatweb;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.core.env.Environment;

/** With no Ollama configured the sample runs against the stand-in and says so. */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
class DemoModeTest {
  @Autowired Environment environment;

  @Test
  void answersFromTheStandInAndSaysItIsADemo() throws Exception {
    HttpClient http = HttpClient.newHttpClient();
    String base = "http://127.0.0.1:" + environment.getProperty("local.server.port");
    String info = http.send(HttpRequest.newBuilder(URI.create(base + "/api/info")).build(),
        HttpResponse.BodyHandlers.ofString()).body();
    assertThat(info).contains("\"demo\":true");
    assertThat(info).doesNotContain(environment.getProperty("ollama.api-key"));
    String chat = http.send(HttpRequest.newBuilder(URI.create(base + "/api/chat"))
        .header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString("{\"prompt\":\"Why is the sky blue?\"}")).build(),
        HttpResponse.BodyHandlers.ofString()).body();
    assertThat(chat).contains("\"type\":\"content\"").contains("\"type\":\"done\"");
    assertThat(environment.getProperty("ollama.api-key")).startsWith("demo-");
  }
}
