package dev.keyway.ollama;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.keyway.ollama.OllamaServers.OnServer;
import dev.keyway.ollama.OllamaServers.ServerStatus;
import dev.keyway.ollama.model.ChatRequest;
import dev.keyway.ollama.model.ChatResponse;
import dev.keyway.ollama.model.EmbedRequest;
import dev.keyway.ollama.model.GenerateRequest;
import dev.keyway.ollama.model.Message;
import dev.keyway.ollama.model.ModelSummary;
import dev.keyway.ollama.testkit.Fault;
import dev.keyway.ollama.testkit.OllamaStandIn;
import dev.keyway.ollama.testkit.RecordedRequest;
import dev.keyway.ollama.testkit.ScriptedModel;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.UnaryOperator;
import okhttp3.mockwebserver.Dispatcher;
import okhttp3.mockwebserver.MockResponse;
import okhttp3.mockwebserver.MockWebServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@link OllamaServers} end to end against three stand-ins, each behind its own credential
 * (X-API-Key, Bearer, a custom header) and with its own models: routing on loaded / installed /
 * any, in-flight balancing, sticky keys, failover, a rejected credential, and proof that each
 * credential reached only its own server. Every key carries the build's {@code kw-secret} marker,
 * so the key-leak scan of build-checks covers this test's output too.
 */
@Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class ServersRoutingTest {
  static final String KEY_A = "kw-secret-a-7f3e91c2";
  static final String KEY_B = "kw-secret-b-55d0aa19";
  static final String KEY_C = "kw-secret-c-c0ffee42";
  static final Map<String, String> SECRETS = Map.of("a", KEY_A, "b", KEY_B, "c", KEY_C);

  OllamaStandIn a;
  OllamaStandIn b;
  OllamaStandIn c;
  OllamaStandIn d;
  OllamaServers servers;
  final List<OllamaCallEvent> eventsOnA = new CopyOnWriteArrayList<>();

  @BeforeEach
  void startStandIns() {
    // "shared" everywhere (slow enough that a stream stays open), "alpha" on a, "beta" on b only.
    a = OllamaStandIn.builder().requireApiKey(KEY_A)
        .model(shared()).model(ScriptedModel.named("alpha").answer("from a")).build();
    b = OllamaStandIn.builder().requireBearer(KEY_B)
        .model(shared()).model(ScriptedModel.named("beta").answer("from b")).build();
    c = OllamaStandIn.builder().requireCredential("X-Gateway-Token", KEY_C)
        .model(shared()).build();
  }

  static ScriptedModel shared() {
    return ScriptedModel.named("shared").answer("one two three four five")
        .tokenDelay(Duration.ofMillis(50));
  }

  OllamaServers build(UnaryOperator<OllamaServers.Builder> extra) {
    OllamaServers.Builder builder = OllamaServers.builder()
        .server(server("a", a, Credential.apiKey(KEY_A)).configure(cb -> fast(cb).listener(eventsOnA::add)))
        .server(server("b", b, Credential.bearer(KEY_B)).configure(ServersRoutingTest::fast))
        .server(server("c", c, Credential.header("X-Gateway-Token", KEY_C))
            .configure(ServersRoutingTest::fast));
    servers = extra.apply(builder).build();
    return servers;
  }

  OllamaServers build() {
    return build(UnaryOperator.identity());
  }

  static OllamaServers.Server server(String name, OllamaStandIn standIn, Credential credential) {
    return OllamaServers.Server.of(name, standIn.baseUrl(), credential);
  }

  static OllamaClient.Builder fast(OllamaClient.Builder builder) {
    return builder.retryBackoff(Duration.ofMillis(1), Duration.ofMillis(5))
        .connectTimeout(Duration.ofSeconds(2));
  }

  @AfterEach
  void stop() {
    if (servers != null) {
      servers.close();
    }
    for (OllamaStandIn s : new OllamaStandIn[] {a, b, c, d}) {
      if (s != null) {
        s.close();
      }
    }
  }

  static ChatRequest chat(String model) {
    return ChatRequest.builder().model(model).addMessage(Message.user("hello")).build();
  }

  /** Loads {@code model} on one server directly (not through the router) and lets it learn. */
  void loadDirectly(String server, String model) {
    servers.server(server).generate(GenerateRequest.builder().model(model).prompt("warm up").build());
  }

  /** The outcome of each chat the client of server a made (polls and warm-ups left out). */
  List<String> chatsTriedOnA() {
    return eventsOnA.stream().filter(e -> e.endpoint().equals("api/chat"))
        .map(OllamaCallEvent::outcome).toList();
  }

  static long count(OllamaStandIn standIn, String path) {
    return standIn.requests().stream().filter(r -> r.path().equals(path)).count();
  }

  static ServerStatus statusOf(OllamaServers servers, String name) {
    return servers.status().stream().filter(s -> s.name().equals(name)).findFirst().orElseThrow();
  }

  @Test
  void requestsLandWhereTheModelIsLoaded() {
    build();
    loadDirectly("c", "shared");
    servers.refresh(); // /api/ps now says: shared is loaded on c only
    assertThat(statusOf(servers, "c").loaded()).contains("shared:latest");

    for (int i = 0; i < 4; i++) {
      assertThat(servers.chat(chat("shared")).message().content()).isEqualTo("one two three four five");
    }
    try (OllamaStream<ChatResponse> stream = servers.chatStream(chat("shared"))) {
      assertThat(stream.result().message().content()).isEqualTo("one two three four five");
    }

    assertThat(count(c, "/api/chat")).isEqualTo(5);
    assertThat(count(a, "/api/chat")).isZero();
    assertThat(count(b, "/api/chat")).isZero();
  }

  @Test
  void aRelayedRequestIsRoutedByItsModelAndCountsInFlightUntilClosed() throws Exception {
    build();
    loadDirectly("b", "shared");
    servers.refresh(); // shared is loaded on b only
    byte[] body = "{\"model\":\"shared\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}"
        .getBytes(java.nio.charset.StandardCharsets.UTF_8);

    try (PassThroughResponse answer = servers.passThrough(
        PassThroughRequest.post("api/chat", body).model("shared").streaming(true))) {
      assertThat(statusOf(servers, "b").inFlight()).isEqualTo(1); // the relayed stream is open
      assertThat(new String(answer.body().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8))
          .contains("\"done\":true");
      assertThat(statusOf(servers, "b").inFlight()).isEqualTo(1); // until it is closed
    }
    assertThat(statusOf(servers, "b").inFlight()).isZero();
    assertThat(count(b, "/api/chat")).isEqualTo(1);
    assertThat(count(a, "/api/chat") + count(c, "/api/chat")).isZero();

    // installed only on a: a relayed request naming alpha goes there; the answer loads it
    servers.passThrough(PassThroughRequest.post("api/chat",
        "{\"model\":\"alpha\",\"stream\":false}".getBytes(java.nio.charset.StandardCharsets.UTF_8))
        .model("alpha")).close();
    assertThat(count(a, "/api/chat")).isEqualTo(1);
    assertThat(statusOf(servers, "a").loaded()).contains("alpha:latest");
  }

  @Test
  void aModelLoadedNowhereGoesToAServerThatHasIt() {
    build();
    servers.refresh();
    assertThat(servers.status()).allSatisfy(s -> assertThat(s.loaded()).isEmpty());
    assertThat(statusOf(servers, "b").installed()).contains("beta:latest");

    assertThat(servers.chat(chat("beta")).message().content()).isEqualTo("from b");
    assertThat(servers.embed(EmbedRequest.of("beta", "text")).embeddings()).hasSize(1);

    assertThat(count(b, "/api/chat")).isEqualTo(1);
    assertThat(count(b, "/api/embed")).isEqualTo(1);
    assertThat(count(a, "/api/chat") + count(c, "/api/chat")).isZero();
    // what the answer revealed: beta is loaded on b now, without waiting for a poll
    assertThat(statusOf(servers, "b").loaded()).contains("beta:latest");
  }

  @Test
  void concurrentStreamsSpreadByInFlightCount() throws Exception {
    build();
    for (String name : List.of("a", "b", "c")) {
      loadDirectly(name, "shared");
    }
    servers.refresh(); // loaded everywhere: the in-flight count decides

    int streams = 6;
    ExecutorService pool = Executors.newFixedThreadPool(streams);
    CountDownLatch start = new CountDownLatch(1);
    List<Future<OllamaStream<ChatResponse>>> opened = new ArrayList<>();
    try {
      for (int i = 0; i < streams; i++) {
        opened.add(pool.submit(() -> {
          start.await(10, TimeUnit.SECONDS);
          return servers.chatStream(chat("shared"));
        }));
      }
      start.countDown();
      List<OllamaStream<ChatResponse>> open = new ArrayList<>();
      for (Future<OllamaStream<ChatResponse>> f : opened) {
        open.add(f.get(20, TimeUnit.SECONDS));
      }
      // six streams held open at once: two on each server
      assertThat(servers.status()).extracting(ServerStatus::inFlight).containsExactly(2, 2, 2);
      assertThat(List.of(count(a, "/api/chat"), count(b, "/api/chat"), count(c, "/api/chat")))
          .containsExactly(2L, 2L, 2L);
      for (OllamaStream<ChatResponse> s : open) {
        assertThat(s.result().message().content()).isEqualTo("one two three four five");
        s.close();
      }
      assertThat(servers.status()).extracting(ServerStatus::inFlight).containsExactly(0, 0, 0);
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void aStickyKeyKeepsItsServer() {
    build();
    for (String name : List.of("a", "b", "c")) {
      loadDirectly(name, "shared");
    }
    servers.refresh();
    OllamaClient conversation = servers.sticky("conversation-42");

    try (OllamaStream<ChatResponse> busy = servers.chatStream(chat("shared"))) { // on a
      conversation.chat(chat("shared")); // a is busy: b
    }
    // a is idle again and would win without the key; the conversation stays on b
    conversation.chat(chat("shared"));
    conversation.chat(chat("shared"));

    assertThat(count(a, "/api/chat")).isEqualTo(1);
    assertThat(count(b, "/api/chat")).isEqualTo(3);
    assertThat(count(c, "/api/chat")).isZero();
  }

  @Test
  void aClosedServerFailsOverAndNewCallsGoElsewhere() {
    build();
    loadDirectly("a", "shared");
    servers.refresh(); // shared is loaded on a: a is everyone's first choice
    a.close();

    // the stream open fails to connect to a and moves on
    try (OllamaStream<ChatResponse> stream = servers.chatStream(chat("shared"))) {
      assertThat(stream.result().message().content()).isEqualTo("one two three four five");
    }
    assertThat(chatsTriedOnA()).containsExactly(OllamaCallEvent.OUTCOME_TRANSPORT_ERROR);
    assertThat(statusOf(servers, "a").usable()).isFalse();

    for (int i = 0; i < 4; i++) {
      assertThat(servers.chat(chat("shared")).message().content()).isEqualTo("one two three four five");
    }
    // a was not tried again
    assertThat(chatsTriedOnA()).containsExactly(OllamaCallEvent.OUTCOME_TRANSPORT_ERROR);
    assertThat(count(b, "/api/chat") + count(c, "/api/chat")).isEqualTo(5);
  }

  @Test
  void asyncStreamFailsOverAtOpen() throws Exception {
    build();
    loadDirectly("a", "shared");
    servers.refresh();
    a.close();

    List<String> chunks = new CopyOnWriteArrayList<>();
    List<OllamaException> errors = new CopyOnWriteArrayList<>();
    StreamHandle<ChatResponse> handle = servers.chatStream(chat("shared"), RequestOptions.none(),
        new StreamHandler<>() {
          @Override
          public void onNext(ChatResponse chunk) {
            chunks.add(chunk.message().content());
          }

          @Override
          public void onError(OllamaException error) {
            errors.add(error);
          }
        });
    CompletableFuture<ChatResponse> future = handle.future();
    assertThat(future.get(20, TimeUnit.SECONDS).message().content()).isEqualTo("one two three four five");
    assertThat(String.join("", chunks)).isEqualTo("one two three four five");
    assertThat(errors).isEmpty();
    assertThat(count(b, "/api/chat") + count(c, "/api/chat")).isEqualTo(1);
    await().atMost(Duration.ofSeconds(5))
        .until(() -> servers.status().stream().allMatch(s -> s.inFlight() == 0));
  }

  @Test
  void aRejectedCredentialIsATypedErrorNamingTheServerAndIsNotRetried() {
    build();
    loadDirectly("b", "shared");
    servers.refresh(); // shared is loaded on b: b is the first choice
    int port = b.port();
    b.close();
    // b's proxy now wants another key (rotated): b's configured key is wrong
    b = OllamaStandIn.builder().port(port).requireBearer("kw-secret-b-rotated").model(shared()).build();

    assertThatThrownBy(() -> servers.chat(chat("shared")))
        .isInstanceOfSatisfying(OllamaServerAuthenticationException.class, e -> {
          assertThat(e.server()).isEqualTo("b");
          assertThat(e.status()).isEqualTo(401);
          assertThat(e.getMessage()).doesNotContain(KEY_A, KEY_B, KEY_C);
        });
    assertThat(count(b, "/api/chat")).isEqualTo(1); // once: no retry, no failover loop
    assertThat(statusOf(servers, "b").usable()).isFalse();
    assertThat(statusOf(servers, "b").credentialRejected()).isTrue();
    assertThat(statusOf(servers, "a").credentialRejected()).isFalse();

    // the next calls avoid b
    assertThat(servers.chat(chat("shared")).message().content()).isEqualTo("one two three four five");
    assertThat(servers.chat(chat("shared")).message().content()).isEqualTo("one two three four five");
    assertThat(count(b, "/api/chat")).isEqualTo(1);
    assertThat(count(a, "/api/chat") + count(c, "/api/chat")).isEqualTo(2);
  }

  @Test
  void aServerWithAWrongKeyFromTheStartIsNeverRoutedTo() {
    d = OllamaStandIn.builder().requireApiKey("kw-secret-d-right").model(shared()).build();
    OllamaServers servers = build(bld -> bld.server(OllamaServers.Server.of(
        "d", d.baseUrl(), Credential.apiKey("kw-secret-d-wrong"))));
    servers.refresh();
    assertThat(statusOf(servers, "d").usable()).isFalse();
    for (int i = 0; i < 6; i++) {
      servers.chat(chat("shared"));
    }
    assertThat(count(d, "/api/chat")).isZero();
    // only the polls reached d: the initial background pair and the refresh, nothing in a loop
    assertThat(d.requests()).allSatisfy(r -> assertThat(r.path()).isIn("/api/ps", "/api/tags"));
    assertThat(d.requests()).hasSizeLessThanOrEqualTo(4);
  }

  @Test
  void eachCredentialReachesOnlyItsOwnServer() {
    build();
    loadDirectly("c", "shared");
    servers.refresh();
    servers.chat(chat("shared"));
    servers.chat(chat("alpha"));
    servers.chat(chat("beta"));
    try (OllamaStream<dev.keyway.ollama.model.GenerateResponse> s = servers.generateStream(
        GenerateRequest.builder().model("shared").prompt("p").build())) {
      s.result();
    }
    servers.show("beta");
    servers.version();
    List<OnServer<ModelSummary>> models = servers.listModelsByServer(RequestOptions.none());
    assertThat(models).extracting(m -> m.server() + "/" + m.value().name())
        .contains("a/alpha:latest", "b/beta:latest", "c/shared:latest", "a/shared:latest");
    assertThat(servers.listModels()).extracting(ModelSummary::name)
        .containsExactlyInAnyOrder("shared:latest", "alpha:latest", "beta:latest");
    assertThat(servers.runningByServer(RequestOptions.none()))
        .extracting(m -> m.server() + "/" + m.value().name()).contains("c/shared:latest");
    a.close(); // and one failover (version goes to any server, a first), so a moved call is covered
    assertThat(servers.version()).isNotBlank();

    assertOnlyOwnCredential("a", a, "X-API-Key", KEY_A);
    assertOnlyOwnCredential("b", b, "Authorization", "Bearer " + KEY_B);
    assertOnlyOwnCredential("c", c, "X-Gateway-Token", KEY_C);
  }

  @Test
  void serversAtMaxConcurrentAreSkippedThenTheCallFailsTyped() {
    servers = OllamaServers.builder()
        .server(server("a", a, Credential.apiKey(KEY_A)).maxConcurrent(1).configure(ServersRoutingTest::fast))
        .server(server("b", b, Credential.bearer(KEY_B)).maxConcurrent(1).configure(ServersRoutingTest::fast))
        .build();
    try (OllamaStream<ChatResponse> first = servers.chatStream(chat("shared"));
        OllamaStream<ChatResponse> second = servers.chatStream(chat("shared"))) {
      assertThat(servers.status()).extracting(ServerStatus::inFlight).containsExactly(1, 1);
      assertThatThrownBy(() -> servers.chat(chat("shared")))
          .isInstanceOfSatisfying(OllamaNoServerException.class,
              e -> assertThat(e.reasons()).containsOnlyKeys("a", "b"));
    }
    assertThat(servers.chat(chat("shared")).message().content()).isEqualTo("one two three four five");
    assertThat(count(a, "/api/chat") + count(b, "/api/chat")).isEqualTo(3);
  }

  @Test
  void aCallWaitsBoundedForAFullServerToReleaseACall() throws Exception {
    servers = OllamaServers.builder()
        .server(server("a", a, Credential.apiKey(KEY_A)).maxConcurrent(1).configure(ServersRoutingTest::fast))
        .maxConcurrentWait(Duration.ofSeconds(20))
        .build();
    ExecutorService pool = Executors.newFixedThreadPool(1);
    try {
      Future<String> waiter;
      CompletableFuture<ChatResponse> asyncWaiter;
      try (OllamaStream<ChatResponse> first = servers.chatStream(chat("shared"))) {
        waiter = pool.submit(() -> servers.chat(chat("shared")).message().content());
        asyncWaiter = servers.chatStream(chat("shared"), RequestOptions.none(),
            (StreamHandler<ChatResponse>) chunk -> { }).future();
        // both wait while the first stream is open: nothing else reached the stand-in
        await().atMost(Duration.ofSeconds(5)).until(() -> count(a, "/api/chat") == 1);
        assertThat(waiter).isNotDone();
        assertThat(asyncWaiter).isNotDone();
      } // closing the first stream releases its slot: one waiter runs, then the other
      assertThat(waiter.get(20, TimeUnit.SECONDS)).isEqualTo("one two three four five");
      assertThat(asyncWaiter.get(20, TimeUnit.SECONDS).message().content())
          .isEqualTo("one two three four five");
      assertThat(count(a, "/api/chat")).isEqualTo(3);
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void aWaitForAFullServerEndsWithTheTypedErrorWhenNothingIsReleased() {
    servers = OllamaServers.builder()
        .server(server("a", a, Credential.apiKey(KEY_A)).maxConcurrent(1).configure(ServersRoutingTest::fast))
        .maxConcurrentWait(Duration.ofMillis(200))
        .build();
    try (OllamaStream<ChatResponse> first = servers.chatStream(chat("shared"))) {
      assertThatThrownBy(() -> servers.chat(chat("shared")))
          .isInstanceOfSatisfying(OllamaNoServerException.class,
              e -> assertThat(e.reasons()).containsEntry("a", "at max-concurrent"));
      CompletableFuture<ChatResponse> async = servers.chatStream(chat("shared"), RequestOptions.none(),
          (StreamHandler<ChatResponse>) chunk -> { }).future();
      assertThatThrownBy(() -> async.get(20, TimeUnit.SECONDS))
          .hasCauseInstanceOf(OllamaNoServerException.class);
    }
    assertThat(count(a, "/api/chat")).isEqualTo(1);
    assertThatThrownBy(() -> OllamaServers.builder().maxConcurrentWait(Duration.ofSeconds(-1)))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void aServerThatComesBackIsUsedAgain() {
    build(bld -> bld.psInterval(Duration.ofMillis(100)));
    servers.refresh();
    int port = a.port();
    a.close();
    assertThat(servers.chat(chat("shared")).message().content())
        .isEqualTo("one two three four five"); // a, declared first, is down: elsewhere
    assertThat(statusOf(servers, "a").usable()).isFalse();

    a = OllamaStandIn.builder().port(port).requireApiKey(KEY_A)
        .model(shared()).model(ScriptedModel.named("alpha").answer("from a")).build();
    await().atMost(Duration.ofSeconds(10)).until(() -> statusOf(servers, "a").usable());
    assertThat(servers.chat(chat("alpha")).message().content()).isEqualTo("from a");
    assertThat(count(a, "/api/chat")).isEqualTo(1);
  }

  @Test
  void aServerWhosePollsAnswer502IsTakenOutOfRouting() throws Exception {
    // A front door (Caddy, nginx) whose Ollama is gone answers 502 to everything, its polls too.
    AtomicBoolean gone = new AtomicBoolean();
    AtomicInteger chatsAtTheDoor = new AtomicInteger();
    try (MockWebServer door = new MockWebServer()) {
      door.setDispatcher(new Dispatcher() {
        @Override
        public MockResponse dispatch(okhttp3.mockwebserver.RecordedRequest request) {
          if ("/api/chat".equals(request.getPath())) {
            chatsAtTheDoor.incrementAndGet();
          }
          if (gone.get()) {
            return new MockResponse().setResponseCode(502);
          }
          // /api/ps and /api/tags alike: "shared" is there and loaded
          return new MockResponse().setHeader("Content-Type", "application/json")
              .setBody("{\"models\":[{\"name\":\"shared:latest\",\"model\":\"shared:latest\"}]}");
        }
      });
      door.start();
      servers = OllamaServers.builder()
          .server(OllamaServers.Server.of("door", door.url("/").toString(), Credential.apiKey(KEY_A))
              .configure(ServersRoutingTest::fast))
          .server(server("b", b, Credential.bearer(KEY_B)).configure(ServersRoutingTest::fast))
          .build();
      servers.refresh();
      assertThat(statusOf(servers, "door").loaded()).contains("shared:latest");

      gone.set(true);
      servers.refresh();
      assertThat(statusOf(servers, "door").usable()).isFalse();
      assertThat(statusOf(servers, "door").reason()).isEqualTo("unreachable");
      assertThat(statusOf(servers, "door").loaded()).isEmpty();
      for (int i = 0; i < 3; i++) {
        assertThat(servers.chat(chat("shared")).message().content()).isEqualTo("one two three four five");
      }
      assertThat(chatsAtTheDoor.get()).as("chats tried at the door").isZero();
      assertThat(count(b, "/api/chat")).isEqualTo(3);
    }
  }

  @Test
  void anOpenBreakerIsReportedUsableAgainOnceItsWaitIsOver() {
    build(bld -> bld.breakerOpenDuration(Duration.ofMillis(300)));
    loadDirectly("a", "shared");
    servers.refresh();
    a.enqueue(Fault.status(503, "{\"error\":\"server busy\"}").times(3));
    for (int i = 0; i < 3; i++) { // each: 503 on a, answered elsewhere; the third opens a's breaker
      assertThat(servers.chat(chat("shared")).message().content()).isEqualTo("one two three four five");
    }
    assertThat(count(a, "/api/chat")).isEqualTo(3);
    assertThat(statusOf(servers, "a").reason()).isEqualTo("circuit open");

    // No call needs a meanwhile. Once the open wait is over the router would let a probe through,
    // so status() must say so (a health indicator reads it) without waiting for traffic.
    await().atMost(Duration.ofSeconds(5)).until(() -> statusOf(servers, "a").usable());
    assertThat(servers.chat(chat("alpha")).message().content()).isEqualTo("from a"); // the probe
    assertThat(statusOf(servers, "a").usable()).isTrue();
  }

  @Test
  void anUnreachableServerIsStillTriedWhenNoOtherIsUsable() {
    servers = OllamaServers.builder()
        .server(server("a", a, Credential.apiKey(KEY_A)).configure(ServersRoutingTest::fast))
        .build();
    servers.refresh();
    int port = a.port();
    a.close();
    assertThatThrownBy(() -> servers.chat(chat("alpha"))).isInstanceOf(OllamaTransportException.class);
    assertThat(statusOf(servers, "a").usable()).isFalse();

    a = OllamaStandIn.builder().port(port).requireApiKey(KEY_A)
        .model(ScriptedModel.named("alpha").answer("from a")).build();
    // no poll has run since (10 s interval): the call itself finds a again
    assertThat(servers.chat(chat("alpha")).message().content()).isEqualTo("from a");
    assertThat(statusOf(servers, "a").usable()).isTrue();
  }

  @Test
  void a503BeforeTheAnswerMovesTheCallToAnotherServer() {
    build();
    loadDirectly("a", "shared");
    servers.refresh();
    a.enqueue(Fault.status(503, "{\"error\":\"server busy\"}").times(5));

    assertThat(servers.chat(chat("shared")).message().content()).isEqualTo("one two three four five");
    try (OllamaStream<ChatResponse> stream = servers.chatStream(chat("shared"))) {
      assertThat(stream.result().message().content()).isEqualTo("one two three four five");
    }
    assertThat(count(a, "/api/chat")).isEqualTo(2); // one attempt each, no retry on a
    assertThat(count(b, "/api/chat") + count(c, "/api/chat")).isEqualTo(2);
  }

  /**
   * With a budget of 5 over three servers that all answer 503, a plain call spends the rest of the
   * budget on the last server (its own retries); with {@code maxAttemptsPerServer(1)}, as the
   * gateway relays, each server is asked once and the last 503 is thrown.
   */
  @Test
  void maxAttemptsPerServerOneTriesEachServerOnceTheLastIncluded() {
    build(bld -> bld.maxAttempts(5));
    for (OllamaStandIn s : List.of(a, b, c)) {
      s.enqueue(Fault.status(503, "{\"error\":\"server busy\"}").times(5));
    }
    byte[] body = "{\"model\":\"shared\",\"stream\":false}".getBytes(java.nio.charset.StandardCharsets.UTF_8);
    assertThatThrownBy(() -> servers.passThrough(PassThroughRequest.post("api/chat", body).model("shared")
        .options(RequestOptions.builder().maxAttemptsPerServer(1).build())))
        .isInstanceOfSatisfying(OllamaHttpException.class, e -> assertThat(e.status()).isEqualTo(503));
    assertThat(List.of(count(a, "/api/chat"), count(b, "/api/chat"), count(c, "/api/chat")))
        .containsExactly(1L, 1L, 1L);
    assertThat(servers.status()).extracting(ServerStatus::inFlight).containsExactly(0, 0, 0);
  }

  /**
   * A 503 with {@code Retry-After: 0} (which OkHttp would repeat on its own, to the same server)
   * under {@code maxAttemptsPerServer(1)}: the refusing server is asked once, the other answers.
   */
  @Test
  void a503WithRetryAfterZeroIsAskedOnceThenTheCallMovesOn() throws Exception {
    servers = OllamaServers.builder()
        .server(server("a", a, Credential.apiKey(KEY_A)).configure(ServersRoutingTest::fast))
        .server(server("b", b, Credential.bearer(KEY_B)).configure(ServersRoutingTest::fast))
        .build();
    loadDirectly("a", "shared");
    servers.refresh(); // shared is loaded on a only: a is asked first
    a.enqueue(Fault.status(503, "{\"error\":\"server busy\"}").retryAfter("0"));
    byte[] body = "{\"model\":\"shared\",\"stream\":false}".getBytes(java.nio.charset.StandardCharsets.UTF_8);

    try (PassThroughResponse answer = servers.passThrough(PassThroughRequest.post("api/chat", body)
        .model("shared").options(RequestOptions.builder().maxAttemptsPerServer(1).build()))) {
      assertThat(answer.status()).isEqualTo(200);
      assertThat(new String(answer.body().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8))
          .contains("\"done\":true");
    }
    assertThat(count(a, "/api/chat")).as("requests to a").isEqualTo(1);
    assertThat(count(b, "/api/chat")).as("requests to b").isEqualTo(1);
  }

  @Test
  void aStreamThatFailsAfterItsFirstChunkIsNotReplayedElsewhere() {
    build();
    loadDirectly("a", "shared");
    servers.refresh();
    a.enqueue(Fault.dropAfter(2));

    List<String> seen = new ArrayList<>();
    assertThatThrownBy(() -> {
      try (OllamaStream<ChatResponse> stream = servers.chatStream(chat("shared"))) {
        for (ChatResponse chunk : stream) {
          seen.add(chunk.message().content());
        }
      }
    }).isInstanceOf(OllamaTransportException.class);
    assertThat(seen).hasSize(2);
    assertThat(count(a, "/api/chat")).isEqualTo(1);
    assertThat(count(b, "/api/chat") + count(c, "/api/chat")).isZero();
    assertThat(servers.status()).extracting(ServerStatus::inFlight).containsExactly(0, 0, 0);
  }

  @Test
  void theBuilderSaysWhatToFix() {
    assertThatThrownBy(() -> OllamaServers.Server.of(" ", "http://127.0.0.1:1", Credential.none()))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> OllamaServers.Server.of("x", "ftp://host", Credential.none()))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> OllamaServers.builder().server("x", "http://127.0.0.1:1", Credential.none())
        .server("x", "http://127.0.0.1:2", Credential.none())).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> OllamaServers.builder().build()).isInstanceOf(IllegalStateException.class);
    assertThat(OllamaServers.Server.of("x", "http://127.0.0.1:1", Credential.apiKey(KEY_A)).toString())
        .contains("x").doesNotContain(KEY_A);
  }

  static void assertOnlyOwnCredential(String name, OllamaStandIn standIn, String header, String value) {
    List<RecordedRequest> requests = standIn.requests();
    assertThat(requests).as("requests to %s", name).isNotEmpty();
    for (RecordedRequest r : requests) {
      assertThat(r.header(header)).as("%s %s on %s", r.method(), r.path(), name).isEqualTo(value);
      for (Map.Entry<String, String> other : SECRETS.entrySet()) {
        if (other.getKey().equals(name)) {
          continue;
        }
        assertThat(r.headers().toString()).as("%s's key on %s", other.getKey(), name)
            .doesNotContain(other.getValue());
        assertThat(r.body()).doesNotContain(other.getValue());
      }
    }
  }
}
