package dev.keyway.ollama.spring.gateway;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;

/** Gateway applications with limits, started and stopped by a test (two may share one Redis). */
final class LimitsApps {
  static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  static final String CHAT = "{\"model\":\"m\",\"stream\":false,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";

  private LimitsApps() {}

  static ConfigurableApplicationContext start(String upstream, String... properties) {
    List<String> all = new ArrayList<>(List.of("server.port=0", "ollama.gateway.enabled=true",
        "ollama.base-url=" + upstream, "ollama.api-key=kw-secret-limits", "ollama.api-key-header=X-API-Key",
        "ollama.retry.max-retries=0", "ollama.limits.enabled=true", "spring.main.banner-mode=off",
        "management.metrics.enable.all=true"));
    all.addAll(List.of(properties));
    return new SpringApplicationBuilder(GatewayFixture.App.class).properties(all.toArray(String[]::new)).run();
  }

  static int port(ConfigurableApplicationContext context) {
    return Integer.parseInt(context.getEnvironment().getProperty("local.server.port", "0"));
  }

  static HttpResponse<String> post(ConfigurableApplicationContext context, String path, String json) throws Exception {
    return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port(context) + "/ollama" + path))
        .timeout(Duration.ofSeconds(20))
        .header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(json)).build(), HttpResponse.BodyHandlers.ofString());
  }

  /** GETs {@code path} from the application's root (not the gateway's). */
  static HttpResponse<String> get(ConfigurableApplicationContext context, String path) throws Exception {
    return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port(context) + path))
        .timeout(Duration.ofSeconds(20)).GET().build(), HttpResponse.BodyHandlers.ofString());
  }

  /** A unary chat answer with prompt_eval_count 3 and eval_count 4. */
  static void unaryChat(java.io.OutputStream out) throws java.io.IOException {
    byte[] body = ("{\"model\":\"m\",\"message\":{\"role\":\"assistant\",\"content\":\"hello\"},\"done\":true,"
        + "\"prompt_eval_count\":3,\"eval_count\":4}").getBytes(StandardCharsets.UTF_8);
    out.write(("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: " + body.length
        + "\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
    out.write(body);
  }
}
