package dev.keyway.samples.chatweb;

import static org.assertj.core.api.Assertions.assertThat;

import dev.keyway.ollama.testkit.OllamaStandIn;
import jakarta.servlet.http.HttpSessionEvent;
import jakarta.servlet.http.HttpSessionListener;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.catalina.Context;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.TestConfiguration;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.boot.web.embedded.tomcat.TomcatWebServer;
import org.springframework.boot.web.servlet.context.ServletWebServerApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * Finding 1 of issue 10: every unauthenticated request under the gateway path created an HTTP
 * session holding a saved copy of the request, kept 30 minutes, until the heap ran out. The
 * gateway is an API authenticated per request: no session, no request cache. Thousands of
 * anonymous requests here (missing and wrong credentials, GET and POST, the gateway and other
 * paths) must create no session at all.
 *
 * <p>Logs at INFO: at TRACE, Spring Security and Tomcat would write several lines per request and
 * the test would measure logging. The other tests of this module run the same filter chain at TRACE.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
    properties = {"keyway.demo=false", "logging.level.root=INFO"})
class SessionFloodTest {
  static final int REQUESTS = 4000;
  static final OllamaStandIn OLLAMA = OllamaStandIn.builder().requireApiKey(Http.newKey("kw-secret-flood-")).build();
  static final AtomicInteger CREATED = new AtomicInteger();

  @DynamicPropertySource
  static void ollama(DynamicPropertyRegistry registry) {
    registry.add("ollama.base-url", OLLAMA::baseUrl);
    registry.add("ollama.api-key", () -> "kw-secret-flood-unused");
  }

  @AfterAll
  static void stop() {
    OLLAMA.close();
  }

  @TestConfiguration
  static class CountSessions {
    @Bean
    HttpSessionListener countingSessions() {
      return new HttpSessionListener() {
        @Override
        public void sessionCreated(HttpSessionEvent event) {
          CREATED.incrementAndGet();
        }
      };
    }
  }

  @LocalServerPort int port;
  @Autowired ServletWebServerApplicationContext context;

  int activeSessions() {
    Context app = (Context) ((TomcatWebServer) context.getWebServer()).getTomcat().getHost().findChildren()[0];
    return app.getManager().getActiveSessions();
  }

  @Test
  @Timeout(120)
  void thousandsOfAnonymousRequestsCreateNoSession() throws Exception {
    String base = "http://127.0.0.1:" + port;
    String wrong = "Basic " + Base64.getEncoder().encodeToString("gateway:wrong".getBytes(StandardCharsets.UTF_8));
    List<HttpRequest> kinds = List.of(
        HttpRequest.newBuilder(URI.create(base + "/ollama/api/tags")).build(),
        HttpRequest.newBuilder(URI.create(base + "/ollama/api/chat")).header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(Http.chatBody("llama3.2", "hi"))).build(),
        HttpRequest.newBuilder(URI.create(base + "/ollama/api/generate")).header("Content-Type", "text/plain")
            .POST(HttpRequest.BodyPublishers.ofString("{}")).build(),
        HttpRequest.newBuilder(URI.create(base + "/somewhere/else"))
            .POST(HttpRequest.BodyPublishers.ofString("x=1")).build());
    HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    int before = CREATED.get();
    long start = System.nanoTime();
    int unauthorized = 0;
    int sessionCookies = 0;
    // A wrong password costs a BCrypt check (~0.1 s): one request in a hundred has one.
    HttpRequest wrongPassword =
        HttpRequest.newBuilder(URI.create(base + "/ollama/api/version")).header("Authorization", wrong).build();
    for (int i = 0; i < REQUESTS; i++) {
      HttpRequest request = i % 100 == 99 ? wrongPassword : kinds.get(i % kinds.size());
      HttpResponse<Void> response = http.send(request, HttpResponse.BodyHandlers.discarding());
      sessionCookies += response.headers().allValues("Set-Cookie").stream()
          .anyMatch(cookie -> cookie.startsWith("JSESSIONID=")) ? 1 : 0;
      unauthorized += response.statusCode() == 401 ? 1 : 0;
    }
    Duration took = Duration.ofNanos(System.nanoTime() - start);
    int created = CREATED.get() - before;
    System.out.printf("SessionFloodTest: %d anonymous requests in %d ms created %d sessions (%d active,"
        + " %d session cookies sent)%n", REQUESTS, took.toMillis(), created, activeSessions(), sessionCookies);

    assertThat(unauthorized).as("the gateway's requests were all refused").isGreaterThanOrEqualTo(REQUESTS * 3 / 4);
    assertThat(created).as("sessions created by %d anonymous requests", REQUESTS).isZero();
    assertThat(activeSessions()).isZero();
    assertThat(sessionCookies).isZero();
  }
}
