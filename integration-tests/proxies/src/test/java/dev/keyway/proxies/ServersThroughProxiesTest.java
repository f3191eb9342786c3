package dev.keyway.proxies;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.awaitility.Awaitility.await;

import dev.keyway.ollama.Credential;
import dev.keyway.ollama.OllamaCallEvent;
import dev.keyway.ollama.OllamaClient;
import dev.keyway.ollama.OllamaServerAuthenticationException;
import dev.keyway.ollama.OllamaServers;
import dev.keyway.ollama.OllamaServers.OnServer;
import dev.keyway.ollama.OllamaServers.ServerStatus;
import dev.keyway.ollama.OllamaStream;
import dev.keyway.ollama.OllamaTransportException;
import dev.keyway.ollama.RequestOptions;
import dev.keyway.ollama.model.ChatRequest;
import dev.keyway.ollama.model.ChatResponse;
import dev.keyway.ollama.model.GenerateRequest;
import dev.keyway.ollama.model.GenerateResponse;
import dev.keyway.ollama.model.Message;
import dev.keyway.ollama.model.ModelSummary;
import dev.keyway.ollama.testkit.Fault;
import dev.keyway.ollama.testkit.OllamaStandIn;
import dev.keyway.ollama.testkit.RecordedRequest;
import dev.keyway.ollama.testkit.ScriptedModel;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@link OllamaServers} over two real front doors, as people deploy several Ollama servers: stand-in
 * "a" behind Caddy checking {@code X-API-Key}, stand-in "b" behind nginx checking {@code
 * Authorization: Bearer}, each with its own key and its own model besides a shared one. Routing on
 * loaded/installed, credentials that each reach only their own server (both proxies forward the
 * credential header, so the stand-ins record what got through; nginx's access log records whether
 * an {@code X-API-Key} ever reached b's door, refused or not), a front door killed mid-stream and
 * started again on its port, and a key rotated at a proxy.
 */
@Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class ServersThroughProxiesTest {
  static final String KEY_A = "kw-secret-servers-a-4e1d";
  static final String KEY_B = "kw-secret-servers-b-9c07";
  static final String SHARED_ANSWER = "one two three four five six seven eight";
  /** 80 tokens, 25 ms apart: a stream that stays open for two seconds unless cut. */
  static final String[] SLOW_TOKENS = java.util.stream.IntStream.range(0, 80)
      .mapToObj(i -> " t" + i).toArray(String[]::new);
  /** Fast enough for the test to see polls bring a server back, slow enough not to flood. */
  static final Duration FAST_POLLS = Duration.ofMillis(200);
  /** No background poll during the test after the first: {@link OllamaServers#refresh()} polls. */
  static final Duration NO_POLLS = Duration.ofMinutes(10);

  OllamaStandIn standInA;
  OllamaStandIn standInB;
  Path dirA;
  Path dirB;
  ProxyProcess caddy;
  ProxyProcess nginx;
  OllamaServers servers;
  /** What server a's own client did: calls the stand-in never saw (refused, or 502 at Caddy). */
  final List<OllamaCallEvent> eventsOnA = new CopyOnWriteArrayList<>();

  @BeforeEach
  void start() {
    // "shared" on both, "alpha" and "slow" (a stream still open when its door is killed) on a
    // only, "beta" on b only.
    standInA = startStandInA(0);
    standInB = OllamaStandIn.builder()
        .model(shared()).model(ScriptedModel.named("beta").answer("from b")).build();
    dirA = ProxyProcess.tempDir("keyway-servers-caddy");
    dirB = ProxyProcess.tempDir("keyway-servers-nginx");
    caddy = Caddy.start(Caddy.Variant.API_KEY, dirA, standInA.port(), KEY_A);
    nginx = startNginx(dirB, ProxyProcess.freePort(), KEY_B);
  }

  static OllamaStandIn startStandInA(int port) {
    return OllamaStandIn.builder().port(port)
        .model(shared()).model(ScriptedModel.named("alpha").answer("from a"))
        .model(ScriptedModel.named("slow").tokens(SLOW_TOKENS).tokenDelay(Duration.ofMillis(25)))
        .build();
  }

  ProxyProcess startNginx(Path dir, int port, String token) {
    return Nginx.start(dir, port, standInB.port(), token, false, true);
  }

  static ScriptedModel shared() {
    return ScriptedModel.named("shared").answer(SHARED_ANSWER);
  }

  @AfterEach
  void stop() {
    if (servers != null) {
      servers.close();
    }
    for (ProxyProcess p : new ProxyProcess[] {caddy, nginx}) {
      if (p != null) {
        p.close();
      }
    }
    standInA.close();
    standInB.close();
  }

  OllamaServers build(Duration psInterval) {
    servers = OllamaServers.builder()
        .server(OllamaServers.Server.of("a", url(caddy), Credential.apiKey(KEY_A))
            .configure(cb -> fast(cb).listener(eventsOnA::add)))
        .server(OllamaServers.Server.of("b", url(nginx), Credential.bearer(KEY_B))
            .configure(ServersThroughProxiesTest::fast))
        .psInterval(psInterval)
        .pollTimeout(Duration.ofSeconds(1))
        .breakerOpenDuration(Duration.ofMillis(500))
        .build();
    return servers;
  }

  static String url(ProxyProcess proxy) {
    return "http://127.0.0.1:" + proxy.port;
  }

  static OllamaClient.Builder fast(OllamaClient.Builder builder) {
    return builder.retryBackoff(Duration.ofMillis(1), Duration.ofMillis(5))
        .connectTimeout(Duration.ofSeconds(2));
  }

  static ChatRequest chat(String model) {
    return ChatRequest.builder().model(model).addMessage(Message.user("hello")).build();
  }

  /** Loads {@code model} on one server through its own client, not the router, and learns it. */
  void loadOn(String server, String model) {
    servers.server(server).generate(GenerateRequest.builder().model(model).prompt("warm up").build());
    servers.refresh();
    assertThat(statusOf(server).loaded()).contains(model + ":latest");
  }

  ServerStatus statusOf(String name) {
    return servers.status().stream().filter(s -> s.name().equals(name)).findFirst().orElseThrow();
  }

  static long count(OllamaStandIn standIn, String path) {
    return standIn.requests().stream().filter(r -> r.path().equals(path)).count();
  }

  @Test
  void requestsLandWhereTheModelIsLoaded() {
    build(FAST_POLLS);
    loadOn("b", "shared"); // b is declared second: only "loaded" can send calls there first

    for (int i = 0; i < 3; i++) {
      assertThat(servers.chat(chat("shared")).message().content()).isEqualTo(SHARED_ANSWER);
    }
    try (OllamaStream<ChatResponse> stream = servers.chatStream(chat("shared"))) {
      assertThat(stream.result().message().content()).isEqualTo(SHARED_ANSWER);
    }
    try (OllamaStream<GenerateResponse> stream = servers.generateStream(
        GenerateRequest.builder().model("shared").prompt("p").build())) {
      assertThat(stream.result().response()).isEqualTo(SHARED_ANSWER);
    }
    assertThat(count(standInB, "/api/chat")).isEqualTo(4);
    assertThat(count(standInB, "/api/generate")).isEqualTo(2); // the warm-up and the stream
    assertThat(count(standInA, "/api/chat") + count(standInA, "/api/generate")).isZero();

    // loaded nowhere: each goes to the one server that has it installed
    assertThat(statusOf("a").loaded()).doesNotContain("alpha:latest");
    assertThat(servers.chat(chat("alpha")).message().content()).isEqualTo("from a");
    assertThat(servers.chat(chat("beta")).message().content()).isEqualTo("from b");
    assertThat(count(standInA, "/api/chat")).isEqualTo(1);
    assertThat(count(standInB, "/api/chat")).isEqualTo(5);

    assertEachCredentialReachedOnlyItsOwnServer();
  }

  @Test
  void eachCredentialReachesOnlyItsOwnServer() {
    build(FAST_POLLS);
    loadOn("a", "shared");
    // a failover through Caddy: stand-in a answers 503, Caddy passes it on, the call moves to b
    standInA.enqueue(Fault.status(503, "{\"error\":\"server busy\"}"));
    assertThat(servers.chat(chat("shared")).message().content()).isEqualTo(SHARED_ANSWER);
    assertThat(count(standInA, "/api/chat")).isEqualTo(1);
    assertThat(count(standInB, "/api/chat")).isEqualTo(1);

    assertThat(servers.chat(chat("alpha")).message().content()).isEqualTo("from a");
    assertThat(servers.chat(chat("beta")).message().content()).isEqualTo("from b");
    try (OllamaStream<ChatResponse> stream = servers.chatStream(chat("shared"))) {
      assertThat(stream.result().message().content()).isEqualTo(SHARED_ANSWER);
    }
    servers.show("beta");
    assertThat(servers.version()).isNotBlank();
    assertThat(servers.listModels()).extracting(ModelSummary::name)
        .containsExactlyInAnyOrder("shared:latest", "alpha:latest", "slow:latest", "beta:latest");
    assertThat(servers.listModelsByServer(RequestOptions.none()))
        .extracting(m -> m.server() + "/" + m.value().name())
        .contains("a/alpha:latest", "b/beta:latest", "a/shared:latest", "b/shared:latest");
    assertThat(servers.runningByServer(RequestOptions.none()))
        .extracting(OnServer::server).contains("a", "b");
    // the background polls ran through both doors as well
    await().atMost(Duration.ofSeconds(5)).until(() -> count(standInB, "/api/ps") >= 3);

    assertEachCredentialReachedOnlyItsOwnServer();
  }

  @Test
  void aFrontDoorKilledMidStreamFailsTypedAndComesBackOnItsPort() {
    build(FAST_POLLS);
    loadOn("a", "shared");
    assertThat(statusOf("b").loaded()).isEmpty();

    Throwable broken;
    List<String> seen = new ArrayList<>();
    try (OllamaStream<ChatResponse> stream = servers.chatStream(chat("slow"))) {
      Iterator<ChatResponse> chunks = stream.iterator();
      seen.add(chunks.next().message().content());
      assertThat(count(standInA, "/api/chat")).isEqualTo(1); // through Caddy: only a has "slow"
      caddy.kill(); // SIGKILL by PID, mid-stream
      broken = catchThrowable(() -> chunks.forEachRemaining(c -> seen.add(c.message().content())));
    }
    assertThat(broken).isInstanceOf(OllamaTransportException.class);
    assertThat(seen).as("the chunks before the cut, none after").hasSizeLessThan(SLOW_TOKENS.length)
        .isEqualTo(List.of(SLOW_TOKENS).subList(0, seen.size()));
    assertThat(servers.status()).extracting(ServerStatus::inFlight).containsExactly(0, 0);

    for (int i = 0; i < 3; i++) {
      assertThat(servers.chat(chat("shared")).message().content()).isEqualTo(SHARED_ANSWER);
    }
    assertThat(count(standInB, "/api/chat")).isEqualTo(3);
    assertThat(count(standInA, "/api/chat")).isEqualTo(1);
    assertThat(statusOf("a").usable()).isFalse();
    assertThat(statusOf("a").reason()).isEqualTo("unreachable");
    assertThat(statusOf("b").usable()).isTrue();

    caddy = Caddy.start(Caddy.Variant.API_KEY, dirA, caddy.port, standInA.port(), KEY_A);
    await().atMost(Duration.ofSeconds(10)).until(() -> statusOf("a").usable());
    // loaded on both now, no call in flight: declaration order picks a again
    assertThat(servers.chat(chat("shared")).message().content()).isEqualTo(SHARED_ANSWER);
    assertThat(servers.chat(chat("alpha")).message().content()).isEqualTo("from a");
    assertThat(count(standInA, "/api/chat")).isEqualTo(3);
    assertThat(count(standInB, "/api/chat")).isEqualTo(3);

    assertEachCredentialReachedOnlyItsOwnServer();
  }

  @Test
  void aDoorWhoseOllamaIsGoneAnswers502AndItsServerLeavesRoutingUntilItIsBack() {
    build(FAST_POLLS);
    loadOn("a", "shared");
    int port = standInA.port();
    standInA.close(); // Caddy stays up: it answers 502 for the Ollama behind it

    servers.refresh();
    assertThat(statusOf("a").usable()).isFalse();
    assertThat(statusOf("a").reason()).isEqualTo("unreachable");
    assertThat(statusOf("a").loaded()).isEmpty();
    for (int i = 0; i < 3; i++) {
      assertThat(servers.chat(chat("shared")).message().content()).isEqualTo(SHARED_ANSWER);
    }
    assertThat(count(standInB, "/api/chat")).isEqualTo(3);
    assertThat(eventsOnA).as("calls a's client made through Caddy")
        .noneMatch(e -> e.endpoint().equals("api/chat"));

    standInA = startStandInA(port);
    await().atMost(Duration.ofSeconds(10)).until(() -> statusOf("a").usable());
    assertThat(servers.chat(chat("alpha")).message().content()).isEqualTo("from a");
    assertThat(count(standInA, "/api/chat")).isEqualTo(1);

    assertEachCredentialReachedOnlyItsOwnServer();
  }

  @Test
  void aKeyRotatedAtOneDoorIsATypedErrorNamingItsServerAndIsNotRetried() {
    build(NO_POLLS);
    loadOn("b", "shared"); // b is everyone's first choice for "shared"
    // the first background polls and loadOn's refresh: both answered before the door changes
    await().atMost(Duration.ofSeconds(5))
        .until(() -> count(standInB, "/api/ps") == 2 && count(standInB, "/api/tags") == 2);
    int requestsOnB = standInB.requestCount();

    // b's door now wants another token: b's configured key is wrong from here on
    nginx.close();
    Path rotatedDir = ProxyProcess.tempDir("keyway-servers-nginx-rotated");
    String rotated = "kw-secret-servers-b-rotated";
    nginx = startNginx(rotatedDir, nginx.port, rotated);

    Throwable rejected = catchThrowable(() -> servers.chat(chat("shared")));
    assertThat(rejected).isInstanceOfSatisfying(OllamaServerAuthenticationException.class, e -> {
      assertThat(e.server()).isEqualTo("b");
      assertThat(e.status()).isEqualTo(401);
    });
    assertThat(rejected.getMessage()).doesNotContain(KEY_A, KEY_B, rotated, "kw-secret");
    assertThat(rejected.toString()).doesNotContain(KEY_A, KEY_B, rotated, "kw-secret");
    assertThat(statusOf("b").usable()).isFalse();
    assertThat(statusOf("b").reason()).isEqualTo("credential rejected (401)");

    // the other server keeps working, for its own model and for the one b had loaded
    assertThat(servers.chat(chat("alpha")).message().content()).isEqualTo("from a");
    assertThat(servers.chat(chat("shared")).message().content()).isEqualTo(SHARED_ANSWER);
    try (OllamaStream<ChatResponse> stream = servers.chatStream(chat("shared"))) {
      assertThat(stream.result().message().content()).isEqualTo(SHARED_ANSWER);
    }
    assertThat(count(standInA, "/api/chat")).isEqualTo(3);
    servers.refresh(); // b's polls, with the old key, are refused too: still out
    assertThat(statusOf("b").reason()).isEqualTo("credential rejected (401)");

    // what b's door saw after the rotation: the one chat, refused once, then only the refresh.
    // nginx writes a request's log line after it sent the answer, so the last line may come a
    // moment after the client has it: waited for, boundedly.
    await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> assertThat(Nginx.calls(rotatedDir)).containsExactly(
        "POST /api/chat 401 x-api-key:none",
        "GET /api/ps 401 x-api-key:none",
        "GET /api/tags 401 x-api-key:none"));
    assertThat(standInB.requestCount()).as("nothing got past b's door").isEqualTo(requestsOnB);

    assertEachCredentialReachedOnlyItsOwnServer();
  }

  /**
   * Every request each stand-in received came through its own door with its own credential, and
   * carried no trace of the other server's key; nginx's log shows no X-API-Key ever reached b's
   * door, not even on a request it refused (so refused ones are covered too).
   */
  void assertEachCredentialReachedOnlyItsOwnServer() {
    assertOnlyOwn("a", standInA, "X-API-Key", KEY_A, KEY_B);
    assertOnlyOwn("b", standInB, "Authorization", "Bearer " + KEY_B, KEY_A);
    assertThat(Nginx.calls(dirB)).as("requests at b's door").isNotEmpty()
        .allSatisfy(line -> assertThat(line).endsWith(" x-api-key:none"));
  }

  static void assertOnlyOwn(String name, OllamaStandIn standIn, String header, String value,
      String otherKey) {
    List<RecordedRequest> requests = standIn.requests();
    assertThat(requests).as("requests to %s", name)
        .extracting(RecordedRequest::path).contains("/api/ps"); // polls at least
    for (RecordedRequest r : requests) {
      assertThat(r.header(header)).as("%s %s on %s", r.method(), r.path(), name).isEqualTo(value);
      assertThat(r.headers().toString()).as("the other key in a header on %s", name)
          .doesNotContain(otherKey);
      assertThat(r.body()).as("the other key in a body on %s", name).doesNotContain(otherKey);
    }
  }
}
