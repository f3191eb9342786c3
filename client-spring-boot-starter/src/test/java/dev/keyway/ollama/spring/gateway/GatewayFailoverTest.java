package dev.keyway.ollama.spring.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.keyway.ollama.OllamaServers;
import dev.keyway.ollama.testkit.Fault;
import dev.keyway.ollama.testkit.OllamaStandIn;
import dev.keyway.ollama.testkit.ScriptedModel;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * The gateway over several servers (issue 13), configured only through {@code ollama.servers[i].*}:
 * a relayed call that a server refuses before its first byte goes to the next server, each server
 * asked at most once (the client keeps its default retries here, so a same-server retry would
 * show); a stream that fails after its first byte is not replayed elsewhere; and the merged
 * listing leaves out a server whose credential was rejected until the polls find it accepted.
 * The single-server side (one attempt on a 503) is {@code GatewayRelayTest}.
 *
 * <p>a and b have the same models, c rejects the key the gateway has for it. Each test uses a
 * model no earlier test loaded, so a is the router's first choice (both have it installed, neither
 * has it loaded, a is declared first). The listing test runs last: it makes c usable.
 */
@Timeout(value = 30, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
// Closed after the class, not kept in Spring's test-context cache: its router polls each server's
// /api/ps with that server's key, and once @AfterAll has stopped the stand-ins, a later test's
// server on a reused port would receive those polls (and log them, key included, at TRACE).
@DirtiesContext
@SpringBootTest(classes = GatewayFixture.App.class, webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
    properties = {"ollama.gateway.enabled=true", "ollama.routing.ps-interval=300ms",
        "ollama.routing.tags-interval=1h", "ollama.retry.initial-backoff=50ms"})
class GatewayFailoverTest extends GatewayFixture {
  static final String KEY_A = "kw-secret-failover-a-61e0";
  static final String KEY_B = "kw-secret-failover-b-02f7";
  static final String KEY_C = "kw-secret-failover-c-9d4b";
  static final String ROTATED_KEY_C = "kw-secret-failover-c-rotated-5a5a";

  static final OllamaStandIn A = twin("a");
  static final OllamaStandIn B = twin("b");
  /** Wants another key than the gateway has for it, until the listing test replaces it. */
  static volatile OllamaStandIn c = OllamaStandIn.builder().requireApiKey(ROTATED_KEY_C)
      .model(ScriptedModel.named("gamma").answer("from c")).build();

  static OllamaStandIn twin(String name) {
    OllamaStandIn.Builder b = OllamaStandIn.builder().requireApiKey(name.equals("a") ? KEY_A : KEY_B);
    for (String model : List.of("refused", "everywhere-busy", "dropped")) {
      b.model(ScriptedModel.named(model).answer("one two three four five from " + name));
    }
    return b.build();
  }

  @DynamicPropertySource
  static void servers(DynamicPropertyRegistry registry) {
    server(registry, 0, "a", A.baseUrl(), KEY_A);
    server(registry, 1, "b", B.baseUrl(), KEY_B);
    server(registry, 2, "c", c.baseUrl(), KEY_C);
  }

  static void server(DynamicPropertyRegistry registry, int i, String name, String baseUrl, String key) {
    String prefix = "ollama.servers[" + i + "].";
    registry.add(prefix + "name", () -> name);
    registry.add(prefix + "base-url", () -> baseUrl);
    registry.add(prefix + "api-key", () -> key);
    registry.add(prefix + "api-key-header", () -> "X-API-Key");
  }

  @AfterAll
  static void stop() {
    A.close();
    B.close();
    c.close();
  }

  @Autowired OllamaServers servers;

  /** What each server has is known before each test, so a is the first choice for a fresh model. */
  @BeforeEach
  void refresh() {
    servers.refresh();
  }

  static long chats(OllamaStandIn standIn) {
    return standIn.requests().stream().filter(r -> r.path().equals("/api/chat")).count();
  }

  static String chat(String model, boolean stream) {
    return "{\"model\":\"" + model + "\",\"stream\":" + stream
        + ",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
  }

  static void assertNoKey(String body) {
    assertThat(body).doesNotContain(KEY_A, KEY_B, KEY_C, ROTATED_KEY_C);
  }

  OllamaServers.ServerStatus statusOfC() {
    return servers.status().get(2);
  }

  @Test
  void aServerThatAnswers503BeforeItsFirstByteHandsTheRelayedStreamToTheNextServerOnce() throws Exception {
    long aBefore = chats(A);
    long bBefore = chats(B);
    A.enqueue(Fault.status(503, "{\"error\":\"server busy\"}"));

    HttpResponse<String> answer = post("/api/chat", chat("refused", true));

    assertThat(answer.statusCode()).isEqualTo(200);
    assertThat(content(answer.body())).isEqualTo("one two three four five from b");
    assertThat(answer.body()).contains("\"done\":true");
    assertNoKey(answer.body());
    assertThat(chats(A)).as("a asked once, not retried").isEqualTo(aBefore + 1);
    assertThat(chats(B)).isEqualTo(bBefore + 1);
    assertThat(chats(c)).isZero();
  }

  /**
   * Both usable servers refuse (429, which leaves the breakers alone for the other tests): each is
   * asked once, the last one included (a plain routed call would spend the rest of the budget
   * there with the client's retries), and the browser gets the last refusal.
   */
  @Test
  void whenEveryServerRefusesEachIsAskedOnceAndTheRefusalReachesTheBrowser() throws Exception {
    long aBefore = chats(A);
    long bBefore = chats(B);
    A.enqueue(Fault.status(429, "{\"error\":\"too many requests on a\"}"));
    B.enqueue(Fault.status(429, "{\"error\":\"too many requests on b\"}"));

    HttpResponse<String> answer = post("/api/chat", chat("everywhere-busy", false));

    assertThat(answer.statusCode()).isEqualTo(429);
    assertThat(JSON.readTree(answer.body()).path("error").asText()).isEqualTo("too many requests on b");
    assertThat(chats(A)).isEqualTo(aBefore + 1);
    assertThat(chats(B)).as("b asked once, not retried as the last server").isEqualTo(bBefore + 1);
  }

  @Test
  void aStreamThatFailsAfterItsFirstByteIsNotFailedOver() throws Exception {
    long aBefore = chats(A);
    long bBefore = chats(B);
    A.enqueue(Fault.dropAfter(2));

    HttpResponse<String> answer = post("/api/chat", chat("dropped", true));

    assertThat(answer.statusCode()).isEqualTo(200); // the stream had started
    List<JsonNode> lines = new ArrayList<>();
    for (String line : answer.body().split("\n")) {
      lines.add(JSON.readTree(line));
    }
    assertThat(lines).hasSize(3);
    assertThat(lines.get(0).path("message").path("content").asText()).isEqualTo("one");
    assertThat(lines.get(1).path("message").path("content").asText()).isEqualTo(" two");
    assertThat(lines.get(2).path("error").asText()).isEqualTo("upstream stream failed");
    assertThat(answer.body()).doesNotContain("\"done\":true");
    assertThat(chats(A)).isEqualTo(aBefore + 1);
    assertThat(chats(B)).as("never replayed on b").isEqualTo(bBefore);
  }

  @Test
  @Order(Integer.MAX_VALUE)
  void theListingSkipsAServerWhoseCredentialWasRejectedUntilThePollsFindItAccepted() throws Exception {
    await().atMost(Duration.ofSeconds(10)).until(() -> statusOfC().credentialRejected());
    long tagsBefore = c.requests().stream().filter(r -> r.path().equals("/api/tags")).count();

    for (int i = 0; i < 3; i++) {
      HttpResponse<String> tags = get("/api/tags");
      assertThat(tags.statusCode()).isEqualTo(200);
      assertThat(names(tags.body())).contains("refused:latest").doesNotContain("gamma:latest");
      assertNoKey(tags.body());
      assertThat(get("/api/ps").statusCode()).isEqualTo(200);
    }
    assertThat(c.requests().stream().filter(r -> r.path().equals("/api/tags")).count())
        .as("tags listings that reached c").isEqualTo(tagsBefore);

    // c's proxy now takes the gateway's key: the next polls find it accepted, and it is listed
    int port = c.port();
    c.close();
    c = OllamaStandIn.builder().port(port).requireApiKey(KEY_C)
        .model(ScriptedModel.named("gamma").answer("from c")).build();
    await().atMost(Duration.ofSeconds(10)).until(() -> statusOfC().usable());

    HttpResponse<String> tags = get("/api/tags");
    assertThat(tags.statusCode()).isEqualTo(200);
    assertThat(names(tags.body())).contains("refused:latest", "gamma:latest");
    assertThat(c.requests()).anySatisfy(r -> assertThat(r.path()).isEqualTo("/api/tags"));
  }

  /** The message contents of an NDJSON chat stream, joined. */
  static String content(String ndjson) throws Exception {
    StringBuilder text = new StringBuilder();
    for (String line : ndjson.split("\n")) {
      text.append(JSON.readTree(line).path("message").path("content").asText());
    }
    return text.toString();
  }

  static List<String> names(String listing) throws Exception {
    List<String> names = new ArrayList<>();
    JSON.readTree(listing).path("models").forEach(m -> names.add(m.path("name").asText()));
    return names;
  }
}
