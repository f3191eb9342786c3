package dev.keyway.ollama.spring.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.keyway.ollama.OllamaClient;
import dev.keyway.ollama.OllamaServers;
import dev.keyway.ollama.model.ChatRequest;
import dev.keyway.ollama.model.GenerateRequest;
import dev.keyway.ollama.model.Message;
import dev.keyway.ollama.testkit.OllamaStandIn;
import dev.keyway.ollama.testkit.RecordedRequest;
import dev.keyway.ollama.testkit.ScriptedModel;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * Several Ollama servers configured purely through {@code ollama.servers[i].*}, in a real servlet
 * application with Actuator, Micrometer and the gateway: four stand-ins, each behind its own kind
 * of credential (X-API-Key, Bearer, a custom header), the fourth configured with a wrong key. The
 * client bean routes by where a model is loaded, the gateway relays there too and lists every
 * server's models, health shows each server, metrics carry the server's name and leave the
 * router's polls out, and each key reaches only its own stand-in.
 */
@Timeout(value = 30, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
// Closed after the class, not kept in Spring's test-context cache: its router polls each server's
// /api/ps with that server's key, and once @AfterAll has stopped the stand-ins, a later test's
// server on a reused port would receive those polls (and log them, key included, at TRACE).
@DirtiesContext
@SpringBootTest(classes = GatewayFixture.App.class, webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
    properties = {"ollama.gateway.enabled=true", "management.endpoint.health.show-details=always"})
class ServersApplicationTest extends GatewayFixture {
  static final String KEY_A = "kw-secret-servers-a-1d2c";
  static final String KEY_B = "kw-secret-servers-b-9e8f";
  static final String KEY_C = "kw-secret-servers-c-4b5a";
  static final String KEY_D = "kw-secret-servers-d-7070";
  static final String WRONG_KEY_D = "kw-secret-servers-wrong-d-3131";
  static final Map<String, String> SECRETS =
      Map.of("a", KEY_A, "b", KEY_B, "c", KEY_C, "d", WRONG_KEY_D);

  static final OllamaStandIn A = standIn().requireApiKey(KEY_A)
      .model(ScriptedModel.named("alpha").answer("from a")).build();
  static final OllamaStandIn B = standIn().requireBearer(KEY_B)
      .model(ScriptedModel.named("beta").answer("from b")).build();
  static final OllamaStandIn C = standIn().requireCredential("X-Gateway-Token", KEY_C).build();
  static final OllamaStandIn D = standIn().requireApiKey(KEY_D).build();

  static OllamaStandIn.Builder standIn() {
    return OllamaStandIn.builder().model(ScriptedModel.named("shared").answer("shared answer"));
  }

  @DynamicPropertySource
  static void servers(DynamicPropertyRegistry registry) {
    registry.add("ollama.retry.max-retries", () -> "0");
    registry.add("ollama.routing.ps-interval", () -> "1s");
    server(registry, 0, "a", A, KEY_A, "X-API-Key");
    server(registry, 1, "b", B, KEY_B, null);
    server(registry, 2, "c", C, KEY_C, "X-Gateway-Token");
    server(registry, 3, "d", D, WRONG_KEY_D, "X-API-Key");
  }

  static void server(DynamicPropertyRegistry registry, int i, String name, OllamaStandIn standIn,
      String key, String header) {
    String prefix = "ollama.servers[" + i + "].";
    registry.add(prefix + "name", () -> name);
    registry.add(prefix + "base-url", standIn::baseUrl);
    registry.add(prefix + "api-key", () -> key);
    if (header != null) {
      registry.add(prefix + "api-key-header", () -> header);
    }
  }

  @AfterAll
  static void stop() {
    for (OllamaStandIn s : List.of(A, B, C, D)) {
      s.close();
    }
  }

  @Autowired OllamaClient client;
  @Autowired OllamaServers servers;
  @Autowired MeterRegistry meters;

  /** "shared" is installed everywhere and loaded on c only, and the router knows it. */
  @BeforeEach
  void loadSharedOnC() {
    servers.server("c").generate(GenerateRequest.builder().model("shared").prompt("warm up").build());
    servers.refresh();
    assertThat(servers.status()).filteredOn(s -> s.loaded().contains("shared:latest"))
        .extracting(OllamaServers.ServerStatus::name).containsExactly("c");
  }

  static ChatRequest chat(String model) {
    return ChatRequest.builder().model(model).addMessage(Message.user("hello")).build();
  }

  static long count(OllamaStandIn standIn, String path) {
    return standIn.requests().stream().filter(r -> r.path().equals(path)).count();
  }

  @Test
  void theServersBindFromPropertiesIntoOneBeanOfBothTypes() {
    assertThat(client).isSameAs(servers);
    assertThat(servers.names()).containsExactly("a", "b", "c", "d");
    assertThat(servers.status()).extracting(OllamaServers.ServerStatus::baseUrl)
        .containsExactly(A.baseUrl() + "/", B.baseUrl() + "/", C.baseUrl() + "/", D.baseUrl() + "/");
  }

  @Test
  void aChatLandsOnTheServerWhereItsModelIsLoaded() {
    long before = count(C, "/api/chat");
    long elsewhere = count(A, "/api/chat") + count(D, "/api/chat");
    assertThat(client.chat(chat("shared")).message().content()).isEqualTo("shared answer");
    assertThat(client.chat(chat("beta")).message().content()).isEqualTo("from b");
    assertThat(count(C, "/api/chat")).isEqualTo(before + 1);
    assertThat(count(A, "/api/chat") + count(D, "/api/chat")).isEqualTo(elsewhere);
  }

  @Test
  void theGatewayRelaysAChatToTheServerWhereItsModelIsLoaded() throws Exception {
    long before = count(C, "/api/chat");
    long elsewhere = count(A, "/api/chat") + count(B, "/api/chat") + count(D, "/api/chat");
    HttpResponse<String> answer = post("/api/chat",
        "{\"model\":\"shared\",\"stream\":false,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}");
    assertThat(answer.statusCode()).isEqualTo(200);
    assertThat(JSON.readTree(answer.body()).path("message").path("content").asText()).isEqualTo("shared answer");
    assertThat(count(C, "/api/chat")).isEqualTo(before + 1);
    assertThat(count(A, "/api/chat") + count(B, "/api/chat") + count(D, "/api/chat")).isEqualTo(elsewhere);
  }

  @Test
  void theGatewayListsTheModelsOfEveryServer() throws Exception {
    HttpResponse<String> tags = get("/api/tags");
    assertThat(tags.statusCode()).isEqualTo(200);
    List<String> names = new ArrayList<>();
    JSON.readTree(tags.body()).path("models").forEach(m -> names.add(m.path("name").asText()));
    // d rejects our key and is left out; "shared" once although three servers have it
    assertThat(names).containsExactlyInAnyOrder("shared:latest", "alpha:latest", "beta:latest");
  }

  @Test
  void healthShowsEachServerAndTheRejectedOneWithItsReasonButNoKey() throws Exception {
    await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
      HttpResponse<String> health = http.send(java.net.http.HttpRequest.newBuilder(
          java.net.URI.create("http://127.0.0.1:" + port() + "/actuator/health")).build(),
          HttpResponse.BodyHandlers.ofString());
      for (String secret : List.of(KEY_A, KEY_B, KEY_C, KEY_D, WRONG_KEY_D)) {
        assertThat(health.body()).doesNotContain(secret);
      }
      JsonNode ollama = JSON.readTree(health.body()).path("components").path("ollama");
      assertThat(ollama.path("status").asText()).isEqualTo("UP"); // a, b and c are usable
      JsonNode each = ollama.path("details").path("servers");
      assertThat(each.path("a").path("status").asText()).isEqualTo("UP");
      assertThat(each.path("b").path("status").asText()).isEqualTo("UP");
      assertThat(each.path("c").path("status").asText()).isEqualTo("UP");
      assertThat(each.path("c").path("loaded").toString()).contains("shared:latest");
      assertThat(each.path("c").path("location").asText()).isEqualTo(C.baseUrl() + "/");
      assertThat(each.path("d").path("status").asText()).isEqualTo("DOWN");
      assertThat(each.path("d").path("reason").asText()).isEqualTo("credential rejected (401)");
    });
  }

  @Test
  void callMetricsCarryTheServerNameAndThePollsAreNotCountedAsCalls() {
    client.chat(chat("shared"));
    Timer onC = meters.get("ollama.client.requests").tag("server", "c").tag("endpoint", "api/chat")
        .tag("model", "shared").tag("outcome", "success").timer();
    assertThat(onC.count()).isPositive();
    // the first background poll, refresh() before each test, then one every second: timed apart
    await().atMost(Duration.ofSeconds(5)).until(() -> pollsOf("a") >= 3);
    assertThat(meters.find("ollama.client.requests").tag("endpoint", "api/ps").timers()).isEmpty();
    assertThat(meters.find("ollama.client.polls").tag("server", "d").tag("outcome", "auth_error").timers())
        .isNotEmpty();
  }

  long pollsOf(String server) {
    return meters.find("ollama.client.polls").tag("server", server).tag("endpoint", "api/ps").timers()
        .stream().mapToLong(Timer::count).sum();
  }

  @Test
  void eachCredentialReachesOnlyItsOwnStandIn() throws Exception {
    client.chat(chat("alpha"));
    client.chat(chat("beta"));
    assertThat(post("/api/chat", "{\"model\":\"shared\",\"stream\":false,\"messages\":[]}").statusCode())
        .isEqualTo(200);
    get("/api/tags");
    onlyOwnCredential("a", A, "X-API-Key", KEY_A);
    onlyOwnCredential("b", B, "Authorization", "Bearer " + KEY_B);
    onlyOwnCredential("c", C, "X-Gateway-Token", KEY_C);
    onlyOwnCredential("d", D, "X-API-Key", WRONG_KEY_D);
  }

  static void onlyOwnCredential(String name, OllamaStandIn standIn, String header, String value) {
    List<RecordedRequest> requests = standIn.requests();
    assertThat(requests).as("requests to %s", name).isNotEmpty();
    for (RecordedRequest r : requests) {
      assertThat(r.header(header)).as("%s %s on %s", r.method(), r.path(), name).isEqualTo(value);
      for (Map.Entry<String, String> other : SECRETS.entrySet()) {
        if (!other.getKey().equals(name)) {
          assertThat(r.headers().toString() + r.body()).as("%s's key on %s", other.getKey(), name)
              .doesNotContain(other.getValue());
        }
      }
    }
  }
}
