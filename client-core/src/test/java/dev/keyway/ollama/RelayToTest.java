package dev.keyway.ollama;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.keyway.ollama.internal.RelayLoops;
import dev.keyway.ollama.testkit.OllamaStandIn;
import dev.keyway.ollama.testkit.ScriptedModel;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.ProtocolException;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.UnaryOperator;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@link PassThroughResponse#relayTo}: a streamed answer read by Keyway's relay thread and handed
 * to a sink, over plain http on loopback, against a raw server whose every byte the test writes.
 * It gives the bytes {@link PassThroughResponse#body()} gives, redacted and observed alike; it
 * pauses and resumes, fails typed (early end, read timeout, a sink paused too long), stops at
 * once on cancel, and declines what it cannot relay.
 *
 * <p>That nothing reaches a sink is shown without sleeping: a relay of its own on every loop (the
 * {@link Canary}) gets two bytes in two turns of its loop after the server has written; the loops
 * would have handed out anything they were going to by then.
 */
@Timeout(20)
class RelayToTest {
  static final String KEY = "kw-secret-relay-4Tq8Zp";
  static final String DONE = "{\"model\":\"llama3.2\",\"done\":true,\"done_reason\":\"stop\","
      + "\"prompt_eval_count\":26,\"eval_count\":3}\n";
  static final Duration WAIT = Duration.ofSeconds(10);
  /** The read timeout of the tests that wait for it. */
  static final Duration READ_TIMEOUT = Duration.ofMillis(500);

  private final Deque<AutoCloseable> closing = new ArrayDeque<>();

  @AfterEach
  void closeAll() throws Exception {
    for (AutoCloseable c; (c = closing.pollFirst()) != null; ) {
      c.close();
    }
  }

  <T extends AutoCloseable> T closeLater(T c) {
    closing.addFirst(c);
    return c;
  }

  static PassThroughRequest chat() {
    return PassThroughRequest.post("api/chat",
        "{\"model\":\"llama3.2\",\"stream\":true}".getBytes(StandardCharsets.UTF_8))
        .streaming(true).model("llama3.2");
  }

  static String line(int i) {
    return "{\"model\":\"llama3.2\",\"message\":{\"role\":\"assistant\",\"content\":\"t" + i
        + "\"},\"done\":false}\n";
  }

  /** A sink that keeps what it is handed, in order, and how the body ended. */
  static class Keeper implements PassThroughResponse.BodySink {
    private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    final List<String> calls = new CopyOnWriteArrayList<>();
    final CompletableFuture<@Nullable IOException> ended = new CompletableFuture<>();
    /** Set by the test before it resumes, cancels or closes: calls then are marked so. */
    volatile String phase = "";
    private final AtomicBoolean inCall = new AtomicBoolean();
    final List<String> overlapping = new CopyOnWriteArrayList<>();

    /** Whether to go on after a call; the default always does. */
    boolean more(int call) {
      return true;
    }

    @Override
    public boolean onBytes(byte[] b, int offset, int length) {
      enter();
      try {
        assertThat(length).isPositive();
        synchronized (bytes) {
          bytes.write(b, offset, length);
        }
        calls.add("bytes" + phase);
        return more(calls.size());
      } finally {
        inCall.set(false);
      }
    }

    @Override
    public void onEnd() {
      enter();
      calls.add("end" + phase);
      inCall.set(false);
      ended.complete(null);
    }

    @Override
    public void onFailure(IOException failure) {
      enter();
      calls.add("failure" + phase);
      inCall.set(false);
      ended.complete(failure);
    }

    private void enter() {
      if (!inCall.compareAndSet(false, true)) {
        overlapping.add(Thread.currentThread().getName());
      }
      if (ended.isDone()) {
        overlapping.add("a call after the last one");
      }
    }

    byte[] bytes() {
      synchronized (bytes) {
        return bytes.toByteArray();
      }
    }

    String text() {
      synchronized (bytes) {
        return bytes.toString(StandardCharsets.UTF_8);
      }
    }

    @Nullable IOException awaitEnd() throws Exception {
      return ended.get(WAIT.toSeconds(), TimeUnit.SECONDS);
    }

    int count() {
      return calls.size();
    }
  }

  /** A stream open on a raw server, its head sent: the test writes the body. */
  record Open(RawHttpServer server, OllamaClient client, PassThroughResponse answer, Socket socket) {
    void chunk(String text) throws IOException {
      RawHttpServer.chunk(socket, text);
    }
  }

  Open open(UnaryOperator<OllamaClient.Builder> extra, PassThroughRequest request) throws Exception {
    RawHttpServer raw = closeLater(new RawHttpServer());
    OllamaClient client = closeLater(extra.apply(OllamaClient.builder().baseUrl(raw.baseUrl()).apiKey(KEY)
        .retryBackoff(Duration.ofMillis(1), Duration.ofMillis(5))).build());
    CompletableFuture<PassThroughResponse> opened = CompletableFuture.supplyAsync(() -> client.passThrough(request));
    Socket socket = raw.startStream();
    PassThroughResponse answer = closeLater(opened.get(WAIT.toSeconds(), TimeUnit.SECONDS));
    return new Open(raw, client, answer, socket);
  }

  Open open() throws Exception {
    return open(UnaryOperator.identity(), chat());
  }

  /**
   * Relays of its own, one on each loop. {@link #turn()} returns once each loop has handed its
   * relay two bytes, each sent after the one before arrived: every socket that was readable before
   * is read by then, and every task queued before has run.
   */
  final class Canary {
    private final List<Open> opens = new ArrayList<>();
    private final List<BlockingQueue<String>> got = new ArrayList<>();

    /** One relay per loop: relays go to the loops in turn. */
    Canary() throws Exception {
      for (int i = 0; i < RelayLoops.count(); i++) {
        Open open = open(UnaryOperator.identity(), PassThroughRequest.post("api/generate", new byte[] {'{', '}'})
            .streaming(true));
        BlockingQueue<String> queue = new LinkedBlockingQueue<>();
        assertThat(open.answer.relayTo(new Keeper() {
          @Override
          public boolean onBytes(byte[] b, int offset, int length) {
            queue.add(new String(b, offset, length, StandardCharsets.UTF_8));
            return true;
          }
        })).isTrue();
        opens.add(open);
        got.add(queue);
      }
    }

    void turn() throws Exception {
      for (int i = 0; i < opens.size(); i++) {
        for (String s : new String[] {"a", "b"}) {
          opens.get(i).chunk(s);
          assertThat(got.get(i).poll(WAIT.toSeconds(), TimeUnit.SECONDS)).isEqualTo(s);
        }
      }
    }
  }

  // --- the same bytes as body()

  static final List<String> ANSWERS = List.of(
      line(1) + line(2) + line(3) + DONE,
      "{\"response\":\"h\u00e9llo \ud83c\udf0d \\\"quoted\\\" \\\\ \\n\",\"done\":false}\n" + DONE,
      "{\"response\":\"" + "a".repeat(40_000) + "\",\"done\":false}\n" + line(4).repeat(300) + DONE,
      "{\"status\":\"pulling manifest\"}\n{\"status\":\"success\"}\n",
      "");

  /**
   * Each answer, framed in chunks of random sizes (and extensions) and written in random pieces
   * with the response head, read once through relayTo and once through body(): the same bytes.
   */
  @Test
  void relayToGivesTheBytesBodyGives() throws Exception {
    long base = new Random().nextLong();
    for (int a = 0; a < ANSWERS.size(); a++) {
      for (int round = 0; round < 2; round++) {
        long seed = base + a * 10 + round;
        String answer = ANSWERS.get(a);
        String about = "answer " + a + ", seed " + seed;
        byte[] relayed = exchange(answer, new Random(seed), true, about);
        byte[] read = exchange(answer, new Random(seed), false, about);
        assertThat(new String(relayed, StandardCharsets.UTF_8)).as(about)
            .isEqualTo(new String(read, StandardCharsets.UTF_8)).isEqualTo(answer);
      }
    }
  }

  private byte[] exchange(String answer, Random r, boolean relay, String about) throws Exception {
    try (RawHttpServer raw = new RawHttpServer();
        OllamaClient client = OllamaClient.builder().baseUrl(raw.baseUrl()).apiKey(KEY).build()) {
      CompletableFuture<PassThroughResponse> opened = CompletableFuture.supplyAsync(() -> client.passThrough(chat()));
      Socket s = raw.accept();
      byte[] response = response(answer.getBytes(StandardCharsets.UTF_8), r);
      for (int at = 0; at < response.length; ) {
        int n = Math.min(response.length - at, 1 + r.nextInt(r.nextBoolean() ? 50 : 20_000));
        s.getOutputStream().write(response, at, n);
        s.getOutputStream().flush();
        at += n;
      }
      try (PassThroughResponse passed = opened.get(WAIT.toSeconds(), TimeUnit.SECONDS)) {
        if (!relay) {
          return passed.body().readAllBytes();
        }
        Keeper keeper = new Keeper();
        assertThat(passed.relayTo(keeper)).as(about).isTrue();
        assertThat(keeper.awaitEnd()).as(about).isNull();
        assertThat(keeper.overlapping).as(about).isEmpty();
        return keeper.bytes();
      }
    }
  }

  /** A 200 head and {@code body} in chunks of random sizes, some with extensions, and the end. */
  static byte[] response(byte[] body, Random r) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.writeBytes(("HTTP/1.1 200 OK\r\nContent-Type: application/x-ndjson\r\n"
        + "Transfer-Encoding: chunked\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
    for (int at = 0; at < body.length; ) {
      int n = Math.min(body.length - at, 1 + r.nextInt(r.nextInt(4) == 0 ? 30_000 : 200));
      out.writeBytes((Integer.toHexString(n) + (r.nextInt(4) == 0 ? ";kw=1" : "") + "\r\n")
          .getBytes(StandardCharsets.US_ASCII));
      out.write(body, at, n);
      out.writeBytes("\r\n".getBytes(StandardCharsets.US_ASCII));
      at += n;
    }
    out.writeBytes("0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
    return out.toByteArray();
  }

  // --- redaction

  @Test
  void anEchoedCredentialSplitAcrossChunksReachesTheSinkRedacted() throws Exception {
    Open open = open();
    Keeper keeper = new Keeper();
    assertThat(open.answer.relayTo(keeper)).isTrue();
    open.chunk("{\"echo\":\"" + KEY.substring(0, 8));
    // what cannot be the key is handed out at once; the key's beginning waits for the next chunk
    await().atMost(WAIT).until(() -> keeper.text().equals("{\"echo\":\""));
    open.chunk(KEY.substring(8) + "\",\"upper\":\"" + KEY.toUpperCase(Locale.ROOT) + "\"}\n");
    open.chunk(DONE);
    RawHttpServer.end(open.socket);

    assertThat(keeper.awaitEnd()).isNull();
    assertThat(keeper.text()).isEqualTo("{\"echo\":\"[redacted]\",\"upper\":\"[redacted]\"}\n" + DONE);
    assertThat(keeper.text().toLowerCase(Locale.ROOT)).doesNotContain(KEY.toLowerCase(Locale.ROOT));
  }

  // --- pause and resume

  @Test
  void aPausedSinkHearsNothingUntilResumedThenEveryByteInOrderOnce() throws Exception {
    Canary canary = new Canary();
    Open open = open();
    Keeper keeper = new Keeper() {
      @Override
      boolean more(int call) {
        return call > 1; // pause after the first bytes
      }
    };
    assertThat(open.answer.relayTo(keeper)).isTrue();
    open.chunk(line(0));
    await().atMost(WAIT).until(() -> keeper.count() == 1);
    StringBuilder rest = new StringBuilder();
    for (int i = 1; i < 50; i++) {
      rest.append(line(i));
      open.chunk(line(i));
    }
    open.chunk(DONE);
    RawHttpServer.end(open.socket);
    canary.turn();
    assertThat(keeper.calls).containsExactly("bytes");

    keeper.phase = " resumed";
    open.answer.resume();
    open.answer.resume(); // idempotent
    assertThat(keeper.awaitEnd()).isNull();
    assertThat(keeper.text()).isEqualTo(line(0) + rest + DONE);
    assertThat(keeper.calls.subList(1, keeper.count())).allMatch(c -> c.endsWith(" resumed"))
        .last().isEqualTo("end resumed");
    assertThat(keeper.overlapping).isEmpty();
  }

  /** A sink that pauses after every call, resumed from another thread each time. */
  @Test
  void aSinkPausingAfterEveryCallGetsTheWholeBodyInOrder() throws Exception {
    Open open = open();
    Semaphore paused = new Semaphore(0);
    Keeper keeper = new Keeper() {
      @Override
      boolean more(int call) {
        paused.release();
        return false;
      }
    };
    assertThat(open.answer.relayTo(keeper)).isTrue();
    StringBuilder all = new StringBuilder();
    Random r = new Random();
    for (int i = 0; i < 300; i++) {
      String piece = line(i).repeat(1 + r.nextInt(3));
      all.append(piece);
      open.chunk(piece);
    }
    all.append(DONE);
    open.chunk(DONE);
    RawHttpServer.end(open.socket);
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (!keeper.ended.isDone() && System.nanoTime() < deadline) {
      if (paused.tryAcquire(100, TimeUnit.MILLISECONDS)) {
        open.answer.resume();
      }
    }
    assertThat(keeper.ended).isDone();
    assertThat(keeper.awaitEnd()).isNull();
    assertThat(keeper.text()).isEqualTo(all.toString());
    assertThat(keeper.overlapping).isEmpty();
  }

  // --- failures

  @Test
  void anUpstreamClosingMidStreamFailsAfterEveryByteBeforeIt() throws Exception {
    Open open = open();
    Keeper keeper = new Keeper();
    assertThat(open.answer.relayTo(keeper)).isTrue();
    open.chunk(line(1));
    RawHttpServer.write(open.socket, "20\r\n{\"partial".getBytes(StandardCharsets.US_ASCII)); // 10 of 32
    await().atMost(WAIT).until(() -> keeper.text().equals(line(1) + "{\"partial"));
    open.socket.close();

    IOException failure = keeper.awaitEnd();
    assertThat(failure).isInstanceOf(ProtocolException.class);
    assertThat(failure.getMessage()).doesNotContain(KEY);
    assertThat(keeper.text()).isEqualTo(line(1) + "{\"partial");
    assertThat(keeper.calls).last().isEqualTo("failure");
  }

  @Test
  void aSilentUpstreamFailsWithASocketTimeoutAfterTheReadTimeout() throws Exception {
    Open open = open(b -> b.readTimeout(READ_TIMEOUT), chat());
    open.chunk(line(1)); // waiting in the socket: the loop reads it at once, however busy the machine
    Keeper keeper = new Keeper();
    assertThat(open.answer.relayTo(keeper)).isTrue();

    assertThat(keeper.awaitEnd()).isInstanceOf(SocketTimeoutException.class);
    assertThat(keeper.text()).isEqualTo(line(1));
    assertThat(keeper.calls).containsExactly("bytes", "failure");
    // the relay let the connection go without waiting for close()
    assertThat(RawHttpServer.clientClosed(open.socket, WAIT.toMillis())).isTrue();
  }

  @Test
  void aSinkPausedLongerThanTheReadTimeoutFailsWithASocketTimeout() throws Exception {
    Open open = open(b -> b.readTimeout(READ_TIMEOUT), chat());
    open.chunk(line(1));
    Keeper keeper = new Keeper() {
      @Override
      boolean more(int call) {
        return false; // and never resumed
      }
    };
    assertThat(open.answer.relayTo(keeper)).isTrue();
    await().atMost(WAIT).until(() -> keeper.count() == 1);
    // upstream has more to give: it is the sink that stalls
    for (int i = 2; i < 8; i++) {
      open.chunk(line(i));
    }

    assertThat(keeper.awaitEnd()).isInstanceOf(SocketTimeoutException.class);
    assertThat(keeper.text()).isEqualTo(line(1));
    assertThat(keeper.calls).containsExactly("bytes", "failure");
    assertThat(RawHttpServer.clientClosed(open.socket, WAIT.toMillis())).isTrue();
  }

  /**
   * A sink that throws ends its own relay only. Its throw comes from a resume queued, while the
   * loop was busy, together with another relay's resume: that one runs too.
   */
  @Test
  void aSinkThatThrowsEndsItsOwnRelayOnly() throws Exception {
    Open holder = open();
    Open a = open();
    Open b = open();
    CountDownLatch holding = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    assertThat(holder.answer.relayTo(new Keeper() {
      @Override
      boolean more(int call) {
        holding.countDown();
        try {
          release.await(WAIT.toSeconds(), TimeUnit.SECONDS); // keeps the loop busy
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
        return true;
      }
    })).isTrue();
    Keeper throwing = new Keeper() {
      @Override
      boolean more(int call) {
        if (call > 1) {
          throw new IllegalStateException("the sink broke");
        }
        return false;
      }
    };
    Keeper paused = new Keeper() {
      @Override
      boolean more(int call) {
        return call > 1;
      }
    };
    toTheSameLoop();
    assertThat(a.answer.relayTo(throwing)).isTrue();
    toTheSameLoop();
    assertThat(b.answer.relayTo(paused)).isTrue();
    a.chunk("x".repeat(12_000) + "\n"); // more than one read of the filters: some is left when it pauses
    b.chunk(line(1));
    await().atMost(WAIT).until(() -> throwing.count() == 1 && paused.count() == 1);
    b.chunk(DONE);
    RawHttpServer.end(b.socket);

    // one write: no later byte of it wakes the loop once the sink returns
    RawHttpServer.write(holder.socket, (Integer.toHexString(line(1).length()) + "\r\n" + line(1) + "\r\n")
        .getBytes(StandardCharsets.UTF_8));
    assertThat(holding.await(WAIT.toSeconds(), TimeUnit.SECONDS)).isTrue();
    a.answer.resume(); // its sink throws
    b.answer.resume();
    release.countDown();

    assertThat(paused.awaitEnd()).isNull();
    assertThat(paused.text()).isEqualTo(line(1) + DONE);
    assertThat(throwing.calls).containsExactly("bytes", "bytes");
    assertThat(RawHttpServer.clientClosed(a.socket, WAIT.toMillis())).isTrue(); // its relay ended
  }

  /**
   * Relays the loops in between, so that the next relay lands on the same loop as the last one:
   * relays go to the loops in turn, and this class's tests run one at a time.
   */
  private void toTheSameLoop() throws Exception {
    for (int i = 1; i < RelayLoops.count(); i++) {
      Open spacer = open();
      assertThat(spacer.answer.relayTo(new Keeper())).isTrue();
    }
  }

  // --- cancel and close

  @ParameterizedTest
  @ValueSource(strings = {"cancel", "close"})
  void cancelOrCloseMidStreamDisconnectsAndTheSinkHearsNothingMore(String how) throws Exception {
    Canary canary = new Canary();
    Open open = open();
    Keeper keeper = new Keeper();
    assertThat(open.answer.relayTo(keeper)).isTrue();
    open.chunk(line(1));
    await().atMost(WAIT).until(() -> keeper.count() == 1);

    keeper.phase = " after " + how;
    if (how.equals("cancel")) {
      open.answer.cancel();
    } else {
      open.answer.close();
    }
    assertThat(RawHttpServer.clientClosed(open.socket, WAIT.toMillis())).isTrue();
    try {
      open.chunk(line(2));
      RawHttpServer.end(open.socket);
    } catch (IOException gone) {
      // the client has gone
    }
    canary.turn();
    assertThat(keeper.calls).containsExactly("bytes");
    assertThat(keeper.ended).isNotDone();
  }

  // --- what relayTo declines

  @Test
  void aUnaryAnswerIsNotRelayedAndItsBodyIsStillRead() throws Exception {
    try (RawHttpServer raw = new RawHttpServer();
        OllamaClient client = OllamaClient.builder().baseUrl(raw.baseUrl()).apiKey(KEY).build()) {
      // a streamed request answered with a length (Ollama's answer to "stream":false)
      CompletableFuture<PassThroughResponse> opened = CompletableFuture.supplyAsync(() -> client.passThrough(chat()));
      Socket s = raw.accept();
      RawHttpServer.write(s, ("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: "
          + DONE.length() + "\r\n\r\n" + DONE).getBytes(StandardCharsets.US_ASCII));
      try (PassThroughResponse answer = opened.get(WAIT.toSeconds(), TimeUnit.SECONDS)) {
        Keeper keeper = new Keeper();
        assertThat(answer.relayTo(keeper)).isFalse();
        assertThat(new String(answer.body().readAllBytes(), StandardCharsets.UTF_8)).isEqualTo(DONE);
        assertThat(keeper.calls).isEmpty();
      }
    }
  }

  @Test
  void aRequestNotMarkedStreamingIsNotRelayedEvenWhenItsAnswerIsChunked() throws Exception {
    Open open = open(UnaryOperator.identity(), PassThroughRequest.post("api/chat",
        "{\"model\":\"llama3.2\"}".getBytes(StandardCharsets.UTF_8)).model("llama3.2"));
    Keeper keeper = new Keeper();
    assertThat(open.answer.relayTo(keeper)).isFalse();
    open.chunk(DONE);
    RawHttpServer.end(open.socket);
    assertThat(new String(open.answer.body().readAllBytes(), StandardCharsets.UTF_8)).isEqualTo(DONE);
    assertThat(keeper.calls).isEmpty();
  }

  @Test
  void aBodyAlreadyReadIsNotRelayedAndReadsOn() throws Exception {
    Open open = open();
    open.chunk(line(1));
    byte[] first = new byte[10];
    int n = open.answer.body().read(first);
    assertThat(n).isPositive();
    Keeper keeper = new Keeper();
    assertThat(open.answer.relayTo(keeper)).isFalse();
    open.chunk(DONE);
    RawHttpServer.end(open.socket);
    assertThat(new String(first, 0, n, StandardCharsets.UTF_8)
        + new String(open.answer.body().readAllBytes(), StandardCharsets.UTF_8)).isEqualTo(line(1) + DONE);
    assertThat(keeper.calls).isEmpty();
  }

  @Test
  void aSecondRelayToIsDeclinedAndTheFirstSinkGetsEverything() throws Exception {
    Open open = open();
    Keeper keeper = new Keeper();
    Keeper second = new Keeper();
    assertThat(open.answer.relayTo(keeper)).isTrue();
    assertThat(open.answer.relayTo(second)).isFalse();
    open.chunk(line(1));
    open.chunk(DONE);
    RawHttpServer.end(open.socket);
    assertThat(keeper.awaitEnd()).isNull();
    assertThat(keeper.text()).isEqualTo(line(1) + DONE);
    assertThat(second.calls).isEmpty();
    // a body read cleanly to its end leaves its connection open, in OkHttp's pool (see
    // aRelayedStreamThatEndedCleanlyLeavesItsConnectionForTheNextCall)
    assertThat(RawHttpServer.clientClosed(open.socket, 200)).isFalse();
  }

  // --- observed like body()

  @Test
  void aRelayedStreamIsObservedAsASuccessWithTheDoneLinesUsage() throws Exception {
    CallObserverTest.Recorder recorder = new CallObserverTest.Recorder();
    List<OllamaCallEvent> events = new CopyOnWriteArrayList<>();
    Open open = open(b -> b.observer(recorder).listener(events::add), chat());
    Keeper keeper = new Keeper();
    assertThat(open.answer.relayTo(keeper)).isTrue();
    open.chunk(line(1));
    open.chunk(line(2));
    open.chunk(DONE.substring(0, 30)); // the done line split across chunks
    open.chunk(DONE.substring(30));
    RawHttpServer.end(open.socket);
    assertThat(keeper.awaitEnd()).isNull();

    assertThat(recorder.ended).singleElement().satisfies(result -> {
      assertThat(result.outcome()).isEqualTo(OllamaCallEvent.OUTCOME_SUCCESS);
      assertThat(result.status()).isEqualTo(200);
      assertThat(result.responseModel()).isEqualTo("llama3.2");
      assertThat(result.inputTokens()).isEqualTo(26);
      assertThat(result.outputTokens()).isEqualTo(3);
      assertThat(result.doneReason()).isEqualTo("stop");
    });
    assertThat(recorder.trace).containsExactly("start", "first", "end");
    assertThat(events).singleElement().satisfies(e -> {
      assertThat(e.outcome()).isEqualTo(OllamaCallEvent.OUTCOME_SUCCESS);
      assertThat(e.promptTokens()).isEqualTo(26);
      assertThat(e.generatedTokens()).isEqualTo(3);
    });
    open.answer.close();
    assertThat(recorder.ended).hasSize(1);
  }

  @Test
  void aRelayedStreamCutMidwayIsObservedAsATransportError() throws Exception {
    CallObserverTest.Recorder recorder = new CallObserverTest.Recorder();
    Open open = open(b -> b.observer(recorder), chat());
    Keeper keeper = new Keeper();
    assertThat(open.answer.relayTo(keeper)).isTrue();
    open.chunk(line(1));
    await().atMost(WAIT).until(() -> keeper.count() == 1);
    open.socket.close();
    assertThat(keeper.awaitEnd()).isInstanceOf(ProtocolException.class);

    assertThat(recorder.ended).singleElement().satisfies(result -> {
      assertThat(result.outcome()).isEqualTo(OllamaCallEvent.OUTCOME_TRANSPORT_ERROR);
      assertThat(result.error()).isInstanceOf(OllamaTransportException.class);
    });
    open.answer.close();
    assertThat(recorder.ended).hasSize(1);
  }

  /**
   * A sink that paused and never took the rest is a failed call, also when the rest had all
   * arrived: the observer must not count as answered what the relay never handed out.
   */
  @Test
  void aSinkPausedPastTheReadTimeoutIsObservedAsAFailureThoughTheBodyHadArrived() throws Exception {
    CallObserverTest.Recorder recorder = new CallObserverTest.Recorder();
    Open open = open(b -> b.observer(recorder).readTimeout(READ_TIMEOUT), chat());
    Keeper keeper = new Keeper() {
      @Override
      boolean more(int call) {
        return false; // and never resumed
      }
    };
    String body = "{\"response\":\"" + "x".repeat(12_000) + "\",\"done\":false}\n" + DONE;
    // the whole body, its end included, in one write: more than the filters hand out at once
    RawHttpServer.write(open.socket, (Integer.toHexString(body.length()) + "\r\n" + body + "\r\n0\r\n\r\n")
        .getBytes(StandardCharsets.UTF_8));
    assertThat(open.answer.relayTo(keeper)).isTrue();

    IOException failure = keeper.awaitEnd();
    assertThat(keeper.calls).as("%s", failure).containsExactly("bytes", "failure");
    assertThat(failure).isInstanceOf(SocketTimeoutException.class);
    assertThat(keeper.text()).isNotEmpty().isNotEqualTo(body);
    assertThat(recorder.ended).singleElement().satisfies(result -> {
      assertThat(result.outcome()).isEqualTo(OllamaCallEvent.OUTCOME_TRANSPORT_ERROR);
      assertThat(result.error()).isInstanceOf(OllamaTransportException.class);
      assertThat(result.outputTokens()).isNull();
    });
  }

  // --- the connection after a relayed body

  @Test
  void aRelayedStreamThatEndedCleanlyLeavesItsConnectionForTheNextCall() throws Exception {
    String key = "kw-secret-relay-reuse-5d2a";
    OllamaStandIn ollama = closeLater(OllamaStandIn.builder().requireApiKey(key).model(shared()).build());
    java.util.concurrent.atomic.AtomicInteger connects = new java.util.concurrent.atomic.AtomicInteger();
    okhttp3.OkHttpClient own = new okhttp3.OkHttpClient.Builder().eventListener(new okhttp3.EventListener() {
      @Override
      public void connectStart(okhttp3.Call call, java.net.InetSocketAddress address, java.net.Proxy proxy) {
        connects.incrementAndGet();
      }
    }).build();
    OllamaClient client = closeLater(OllamaClient.builder().baseUrl(ollama.baseUrl()).apiKey(key)
        .okHttpClient(own).build());
    byte[] body = "{\"model\":\"shared\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}"
        .getBytes(StandardCharsets.UTF_8);
    for (int i = 0; i < 3; i++) {
      try (PassThroughResponse answer = client.passThrough(
          PassThroughRequest.post("api/chat", body).model("shared").streaming(true))) {
        Keeper keeper = new Keeper();
        assertThat(answer.relayTo(keeper)).isTrue();
        assertThat(keeper.awaitEnd()).isNull();
        assertThat(keeper.text()).contains("\"done\":true");
      }
    }
    // And a plain call after them rides the same connection, read by OkHttp itself.
    assertThat(client.version()).isNotBlank();
    assertThat(connects).as("connections opened for three relayed streams and a call").hasValue(1);
  }

  // --- through OllamaServers

  @Test
  void aRoutedStreamIsRelayedAndCountsInFlightUntilClosed() throws Exception {
    String keyA = "kw-secret-relay-a-81c3";
    String keyB = "kw-secret-relay-b-0f9e";
    OllamaStandIn a = closeLater(OllamaStandIn.builder().requireApiKey(keyA).model(shared()).build());
    OllamaStandIn b = closeLater(OllamaStandIn.builder().requireApiKey(keyB).model(shared()).build());
    OllamaServers servers = closeLater(OllamaServers.builder()
        .server(OllamaServers.Server.of("a", a.baseUrl(), Credential.apiKey(keyA)))
        .server(OllamaServers.Server.of("b", b.baseUrl(), Credential.apiKey(keyB)))
        .build());
    byte[] body = "{\"model\":\"shared\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}"
        .getBytes(StandardCharsets.UTF_8);

    PassThroughResponse answer = servers.passThrough(
        PassThroughRequest.post("api/chat", body).model("shared").streaming(true));
    Keeper keeper = new Keeper();
    assertThat(answer.relayTo(keeper)).isTrue();
    assertThat(keeper.awaitEnd()).isNull();
    assertThat(keeper.text()).contains("\"content\":\"one\"").contains("\"done\":true").endsWith("}\n")
        .doesNotContain(keyA).doesNotContain(keyB);
    assertThat(inFlight(servers)).isEqualTo(1); // until it is closed
    answer.close();
    assertThat(inFlight(servers)).isZero();
  }

  static ScriptedModel shared() {
    return ScriptedModel.named("shared").answer("one two three").tokenDelay(Duration.ofMillis(5));
  }

  static int inFlight(OllamaServers servers) {
    return servers.status().stream().mapToInt(OllamaServers.ServerStatus::inFlight).sum();
  }
}
