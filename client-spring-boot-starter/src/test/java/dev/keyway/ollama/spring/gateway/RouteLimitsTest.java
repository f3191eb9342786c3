package dev.keyway.ollama.spring.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.keyway.ollama.OllamaClient;
import dev.keyway.ollama.OllamaStream;
import dev.keyway.ollama.model.ChatRequest;
import dev.keyway.ollama.model.ChatResponse;
import dev.keyway.ollama.model.Message;
import dev.keyway.ollama.testkit.OllamaStandIn;
import dev.keyway.ollama.testkit.ScriptedModel;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

/**
 * {@code ollama.limits.routes}: an application route written with the injected {@link OllamaClient}
 * is limited like the gateway (requests, tokens charged from the answers, the in-flight cap
 * released however the handler ends), and a route not listed is not limited.
 */
@Timeout(60)
class RouteLimitsTest {
  static final OllamaStandIn OLLAMA = OllamaStandIn.builder()
      .model(ScriptedModel.named("m").tokens("one", " two", " three", " four"))
      .model(ScriptedModel.named("slow").tokens(Collections.nCopies(2000, "x ").toArray(String[]::new))
          .tokenDelay(Duration.ofMillis(50)))
      .build();
  static final Pattern TOKENS_LEFT = Pattern.compile("\"tokens\";r=(\\d+);");

  /**
   * The application: auto-configuration and one controller with a limited and a free route.
   * Spring Security (a test dependency of this module) is left out, as in {@link GatewayFixture.App}.
   */
  @SpringBootConfiguration
  @EnableAutoConfiguration(excludeName = {
      "org.springframework.boot.autoconfigure.security.servlet.SecurityAutoConfiguration",
      "org.springframework.boot.autoconfigure.security.servlet.SecurityFilterAutoConfiguration",
      "org.springframework.boot.autoconfigure.security.servlet.UserDetailsServiceAutoConfiguration",
      "org.springframework.boot.actuate.autoconfigure.security.servlet.ManagementWebSecurityAutoConfiguration"})
  @RestController
  static class App {
    private final OllamaClient client;

    App(OllamaClient client) {
      this.client = client;
    }

    static ChatRequest ask(String model) {
      return ChatRequest.builder().model(model).addMessage(Message.user("hi there")).build();
    }

    /**
     * {@code mode=unary}: a blocking chat, answering its prompt+eval counts. {@code mode=stream}: a
     * stream iterated on this thread, each chunk written and flushed; {@code take=n} stops after n
     * chunks. {@code mode=fail}: a chat, then the handler throws.
     */
    @GetMapping("/api/app-chat")
    void chat(@RequestParam(name = "mode", defaultValue = "unary") String mode, @RequestParam(name = "model", defaultValue = "m") String model,
        @RequestParam(name = "take", defaultValue = "-1") int take, HttpServletResponse response) throws IOException {
      if (mode.equals("stream")) {
        response.setContentType("text/plain");
        OutputStream out = response.getOutputStream();
        try (OllamaStream<ChatResponse> stream = client.chatStream(ask(model))) {
          int n = 0;
          for (Iterator<ChatResponse> it = stream.iterator(); it.hasNext() && n != take; n++) {
            out.write(it.next().message().content().getBytes(StandardCharsets.UTF_8));
            out.flush();
          }
        }
        return;
      }
      ChatResponse reply = client.chat(ask(model));
      if (mode.equals("fail")) {
        throw new IllegalStateException("the handler failed after its call");
      }
      Integer prompt = reply.promptEvalCount();
      Integer eval = reply.evalCount();
      response.setContentType("text/plain");
      response.getWriter().print((prompt == null ? 0 : prompt) + (eval == null ? 0 : eval));
    }

    @GetMapping("/api/free")
    String free() {
      return client.chat(ask("m")).message().content();
    }
  }

  @AfterAll
  static void stopOllama() {
    OLLAMA.close();
  }

  static ConfigurableApplicationContext start(String... properties) {
    List<String> all = new ArrayList<>(List.of("server.port=0", "spring.main.banner-mode=off",
        "ollama.base-url=" + OLLAMA.baseUrl(), "ollama.retry.max-retries=0",
        "ollama.limits.enabled=true", "ollama.limits.routes=/api/app-chat"));
    all.addAll(List.of(properties));
    return new SpringApplicationBuilder(App.class).properties(all.toArray(String[]::new)).run();
  }

  static HttpResponse<String> get(ConfigurableApplicationContext app, String pathAndQuery) throws Exception {
    return LimitsApps.HTTP.send(HttpRequest.newBuilder(
            URI.create("http://127.0.0.1:" + LimitsApps.port(app) + pathAndQuery))
        .timeout(Duration.ofSeconds(20)).GET().build(), HttpResponse.BodyHandlers.ofString());
  }

  static long tokensLeft(HttpResponse<String> response) {
    Matcher m = TOKENS_LEFT.matcher(response.headers().firstValue("RateLimit").orElseThrow());
    assertThat(m.find()).as("RateLimit header %s", response.headers().firstValue("RateLimit")).isTrue();
    return Long.parseLong(m.group(1));
  }

  /**
   * Waits until the test's caller (the loopback address) has {@code expected} tokens left: the
   * filter settles after the handler returned, which may be after the client read the answer.
   */
  static void awaitTokensLeft(ConfigurableApplicationContext app, long expected) {
    OllamaUsageLimits limits = app.getBean(OllamaUsageLimits.class);
    Awaitility.await().atMost(Duration.ofSeconds(10))
        .untilAsserted(() -> assertThat(limits.usage("address:127.0.0.1").tokensRemaining()).isEqualTo(expected));
  }

  static void assertRefused(HttpResponse<String> r, String errorStart) throws IOException {
    assertThat(r.statusCode()).as(r.body()).isEqualTo(429);
    assertThat(r.headers().firstValue("Retry-After").orElseThrow()).matches("[1-9][0-9]*");
    assertThat(r.headers().firstValue("Content-Type").orElseThrow()).startsWith("application/json");
    JsonNode body = GatewayFixture.JSON.readTree(r.body());
    assertThat(body.size()).isEqualTo(1);
    assertThat(body.get("error").asText()).startsWith(errorStart);
  }

  @Test
  void requestCapacityThreeAdmitsThreeThenRefusesWith429() throws Exception {
    try (ConfigurableApplicationContext app = start("ollama.limits.requests.capacity=3",
        "ollama.limits.requests.period=1h")) {
      for (int i = 0; i < 3; i++) {
        assertThat(get(app, "/api/app-chat").statusCode()).isEqualTo(200);
      }
      HttpResponse<String> fourth = get(app, "/api/app-chat");
      assertRefused(fourth, "too many requests; try again in ");
      assertThat(fourth.headers().firstValue("RateLimit-Policy")).contains("\"requests\";q=3;w=3600");
    }
  }

  @Test
  void aPathNotInRoutesIsNotLimited() throws Exception {
    try (ConfigurableApplicationContext app = start("ollama.limits.requests.capacity=1",
        "ollama.limits.requests.period=1h")) {
      for (int i = 0; i < 4; i++) {
        HttpResponse<String> free = get(app, "/api/free");
        assertThat(free.statusCode()).as(free.body()).isEqualTo(200);
        assertThat(free.headers().firstValue("RateLimit-Policy")).isEmpty();
      }
      assertThat(get(app, "/api/app-chat").statusCode()).isEqualTo(200);
      assertRefused(get(app, "/api/app-chat"), "too many requests");
    }
  }

  @Test
  void aPatternCoveringTheGatewayLeavesItsCallsToTheGatewayAlone() throws Exception {
    try (ConfigurableApplicationContext app = start("ollama.gateway.enabled=true", "ollama.api-key=kw-secret-routes",
        "ollama.limits.routes=/*", "ollama.limits.requests.capacity=2", "ollama.limits.requests.period=1h")) {
      // Admitted once each (by the gateway), not twice (by the filter too): two calls pass.
      assertThat(LimitsApps.post(app, "/api/chat", LimitsApps.CHAT).statusCode()).isEqualTo(200);
      assertThat(LimitsApps.post(app, "/api/chat", LimitsApps.CHAT).statusCode()).isEqualTo(200);
      assertRefused(LimitsApps.post(app, "/api/chat", LimitsApps.CHAT), "too many requests");
    }
  }

  @Test
  void aBlockingChatIsChargedItsPromptAndEvalCounts() throws Exception {
    try (ConfigurableApplicationContext app = start("ollama.limits.tokens.capacity=1000",
        "ollama.limits.tokens.period=24h")) {
      HttpResponse<String> first = get(app, "/api/app-chat");
      assertThat(first.statusCode()).as(first.body()).isEqualTo(200);
      long used = Long.parseLong(first.body());
      assertThat(used).isGreaterThan(4); // the prompt's tokens and the four answered
      // While a call runs it holds up to tokens.reserve (1024: all 1000 here); after it, its use.
      assertThat(tokensLeft(first)).isZero();
      awaitTokensLeft(app, 1000 - used);
      HttpResponse<String> second = get(app, "/api/app-chat");
      assertThat(second.statusCode()).isEqualTo(200);
      awaitTokensLeft(app, 1000 - 2 * used);
    }
  }

  @Test
  void aUsedUpTokenQuotaRefusesTheNextRequest() throws Exception {
    try (ConfigurableApplicationContext app = start("ollama.limits.tokens.capacity=5",
        "ollama.limits.tokens.period=1h")) {
      // The stream read to its done chunk: prompt_eval_count + eval_count (> 5) is charged.
      HttpResponse<String> first = get(app, "/api/app-chat?mode=stream");
      assertThat(first.statusCode()).isEqualTo(200);
      assertThat(first.body()).isEqualTo("one two three four");
      HttpResponse<String> next = get(app, "/api/app-chat");
      assertRefused(next, "token quota used up; try again in ");
      assertThat(next.headers().firstValue("RateLimit").orElseThrow()).matches("\"tokens\";r=0;t=[1-9][0-9]*");
    }
  }

  @Test
  void aStreamTheHandlerClosesEarlyIsChargedOnePerChunkDelivered() throws Exception {
    try (ConfigurableApplicationContext app = start("ollama.limits.tokens.capacity=1000",
        "ollama.limits.tokens.period=24h")) {
      HttpResponse<String> first = get(app, "/api/app-chat?mode=stream&take=2");
      assertThat(first.body()).isEqualTo("one two");
      awaitTokensLeft(app, 1000 - 2);
    }
  }

  @Test
  void theInFlightPermitIsReleasedAfterAHandlerThatThrows() throws Exception {
    try (ConfigurableApplicationContext app = start("ollama.limits.concurrent-streams=1")) {
      assertThat(get(app, "/api/app-chat?mode=fail").statusCode()).isEqualTo(500);
      HttpResponse<String> next = get(app, "/api/app-chat");
      assertThat(next.statusCode()).as(next.body()).isEqualTo(200);
    }
  }

  @Test
  void theInFlightPermitIsHeldDuringAStreamAndReleasedWhenTheBrowserDisconnects() throws Exception {
    try (ConfigurableApplicationContext app = start("ollama.limits.concurrent-streams=1");
        Socket socket = new Socket("127.0.0.1", LimitsApps.port(app))) {
      socket.setSoTimeout(20_000);
      OutputStream out = socket.getOutputStream();
      out.write("GET /api/app-chat?mode=stream&model=slow HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
          .getBytes(StandardCharsets.US_ASCII));
      out.flush();
      InputStream in = socket.getInputStream();
      assertThat(in.read()).isNotEqualTo(-1); // the stream has begun: the permit is held
      assertRefused(get(app, "/api/app-chat"), "too many calls in flight");
      socket.setSoLinger(true, 0);
      socket.close(); // a reset, like a closed tab; the handler's next write fails
      // The stream would run 100 s more: only the disconnect can free the permit in time.
      await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(100))
          .until(() -> get(app, "/api/app-chat").statusCode() == 200);
    }
  }
}
