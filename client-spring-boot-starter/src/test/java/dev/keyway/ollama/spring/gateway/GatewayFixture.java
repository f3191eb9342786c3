package dev.keyway.ollama.spring.gateway;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.keyway.ollama.testkit.OllamaStandIn;
import dev.keyway.ollama.testkit.RecordedRequest;
import java.io.IOException;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.function.Supplier;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.core.env.Environment;
import org.springframework.test.context.DynamicPropertyRegistry;

/**
 * The one setup every gateway test in a real servlet container shares: the application, the
 * upstream properties, and a browser ({@link HttpClient}) pointed at {@code /ollama}. A test class
 * extends it, names {@link App} in its {@code @SpringBootTest}, and wires its own upstream with
 * {@link #upstream} from a static {@code @DynamicPropertySource} method.
 */
abstract class GatewayFixture {
  static final ObjectMapper JSON = new ObjectMapper();

  /**
   * The application under test: auto-configuration only, so the starter does the wiring. Spring
   * Security is on the test classpath (for {@code GatewaySecurityAuditTest}); its defaults, which
   * would require a login everywhere, are left out here.
   */
  @SpringBootConfiguration
  @EnableAutoConfiguration(excludeName = {
      "org.springframework.boot.autoconfigure.security.servlet.SecurityAutoConfiguration",
      "org.springframework.boot.autoconfigure.security.servlet.SecurityFilterAutoConfiguration",
      "org.springframework.boot.autoconfigure.security.servlet.UserDetailsServiceAutoConfiguration",
      "org.springframework.boot.actuate.autoconfigure.security.servlet.ManagementWebSecurityAutoConfiguration"})
  static class App {}

  /** Points the client at {@code baseUrl} with {@code key} sent as {@code X-API-Key}. */
  static void upstream(DynamicPropertyRegistry registry, Supplier<Object> baseUrl, String key) {
    upstreamWithClientRetries(registry, baseUrl, key);
    registry.add("ollama.retry.max-retries", () -> "0");
  }

  /** As {@link #upstream}, leaving the client's own retry settings at their defaults. */
  static void upstreamWithClientRetries(DynamicPropertyRegistry registry, Supplier<Object> baseUrl, String key) {
    registry.add("ollama.base-url", baseUrl);
    registry.add("ollama.api-key", () -> key);
    registry.add("ollama.api-key-header", () -> "X-API-Key");
  }

  static RecordedRequest lastRequest(OllamaStandIn ollama) {
    List<RecordedRequest> all = ollama.requests();
    return all.get(all.size() - 1);
  }

  @Autowired Environment environment;
  final HttpClient http = HttpClient.newHttpClient();

  int port() {
    return Integer.parseInt(environment.getProperty("local.server.port"));
  }

  String gatewayUrl() {
    return "http://127.0.0.1:" + port() + "/ollama";
  }

  URI uri(String path) {
    return URI.create(gatewayUrl() + path);
  }

  HttpResponse<String> post(String path, String json, String... headers) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(uri(path)).POST(HttpRequest.BodyPublishers.ofString(json))
        .header("Content-Type", "application/json");
    if (headers.length > 0) {
      b.headers(headers);
    }
    return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  HttpResponse<String> get(String path, String... headers) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(uri(path));
    if (headers.length > 0) {
      b.headers(headers);
    }
    return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  /**
   * Sends {@code GET target} with the request line exactly as written (an HTTP client would
   * normalize the path) and returns the whole answer as text; the server closes the connection.
   */
  String rawGet(String target, String... headerLines) throws IOException {
    StringBuilder request = new StringBuilder("GET ").append(target).append(" HTTP/1.1\r\nHost: 127.0.0.1:")
        .append(port()).append("\r\nConnection: close\r\n");
    for (String line : headerLines) {
      request.append(line).append("\r\n");
    }
    try (Socket socket = new Socket("127.0.0.1", port())) {
      socket.setSoTimeout(10_000);
      socket.getOutputStream().write(request.append("\r\n").toString().getBytes(StandardCharsets.US_ASCII));
      return new String(socket.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1);
    }
  }
}
