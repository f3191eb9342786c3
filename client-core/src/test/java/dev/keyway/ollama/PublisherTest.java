package dev.keyway.ollama;

import static org.assertj.core.api.Assertions.assertThat;

import dev.keyway.ollama.model.ChatRequest;
import dev.keyway.ollama.model.ChatResponse;
import dev.keyway.ollama.model.Message;
import dev.keyway.ollama.model.Progress;
import dev.keyway.ollama.testkit.Fault;
import dev.keyway.ollama.testkit.OllamaStandIn;
import dev.keyway.ollama.testkit.ScriptedModel;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Flow;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import reactor.adapter.JdkFlowAdapter;
import reactor.core.publisher.Flux;

/** {@link OllamaClient#publisher}: cold, demand-driven, cancel reaches the server. */
class PublisherTest {
  static final String[] TOKENS = IntStream.range(0, 400).mapToObj(i -> "t" + i + " ").toArray(String[]::new);

  OllamaStandIn standIn;
  OllamaClient client;

  @BeforeEach
  void setUp() {
    standIn = OllamaStandIn.builder().requireApiKey("kw-secret-p-1")
        .model(ScriptedModel.named("llama3.2").tokens(TOKENS))
        .model(ScriptedModel.named("slow").tokens(TOKENS).tokenDelay(Duration.ofMillis(5)))
        .build();
    client = OllamaClient.builder().baseUrl(standIn.baseUrl()).apiKey("kw-secret-p-1").build();
  }

  @AfterEach
  void tearDown() {
    client.close();
    standIn.close();
  }

  ChatRequest chat(String model) {
    return ChatRequest.builder().model(model).addMessage(Message.user("count")).build();
  }

  /** Records signals; requests only what the test asks for, and notes any item beyond it. */
  static final class Probe<T> implements Flow.Subscriber<T> {
    final List<T> items = new CopyOnWriteArrayList<>();
    final AtomicReference<Throwable> error = new AtomicReference<>();
    final CountDownLatch terminated = new CountDownLatch(1);
    final List<String> beyondDemand = new CopyOnWriteArrayList<>();
    final AtomicLong requested = new AtomicLong();
    volatile Flow.Subscription subscription;
    volatile boolean completed;

    /** Requests through the subscription, counting what was asked for first. */
    void request(long n) {
      requested.accumulateAndGet(n, (a, b) -> a + b < 0 ? Long.MAX_VALUE : a + b);
      subscription.request(n);
    }

    @Override
    public void onSubscribe(Flow.Subscription s) {
      subscription = s;
    }

    @Override
    public void onNext(T item) {
      items.add(item);
      if (items.size() > requested.get()) {
        beyondDemand.add("item " + items.size() + " with " + requested.get() + " requested");
      }
    }

    @Override
    public void onError(Throwable t) {
      error.set(t);
      terminated.countDown();
    }

    @Override
    public void onComplete() {
      completed = true;
      terminated.countDown();
    }
  }

  @Test
  void nothingIsSentUntilTheFirstRequest() throws Exception {
    AtomicInteger opened = new AtomicInteger();
    Probe<ChatResponse> probe = new Probe<>();
    client.publisher(() -> {
      opened.incrementAndGet();
      return client.chatStream(chat("llama3.2"));
    }).subscribe(probe);
    assertThat(probe.subscription).isNotNull();
    // A whole other subscription, subscribed after this one, runs to its end meanwhile: a publisher
    // that opened on subscribe would have opened this one first.
    Probe<ChatResponse> other = new Probe<>();
    client.publisher(() -> client.chatStream(chat("llama3.2"))).subscribe(other);
    other.request(Long.MAX_VALUE);
    assertThat(other.terminated.await(10, TimeUnit.SECONDS)).isTrue();
    assertThat(other.completed).isTrue();
    assertThat(opened).as("calls opened before the first request").hasValue(0);
    assertThat(standIn.requestCount()).as("only the other subscription's call").isEqualTo(1);

    probe.request(Long.MAX_VALUE);
    assertThat(probe.terminated.await(10, TimeUnit.SECONDS)).isTrue();
    assertThat(probe.completed).isTrue();
    assertThat(probe.items).hasSize(TOKENS.length + 1); // every token, then the done chunk
    assertThat(probe.items.get(TOKENS.length).done()).isTrue();
    assertThat(opened).hasValue(1);
  }

  @Test
  void deliversNoMoreThanRequested() throws Exception {
    Probe<ChatResponse> probe = new Probe<>();
    client.publisher(() -> client.chatStream(chat("llama3.2"))).subscribe(probe);
    // The stand-in writes the whole answer at once: only the demand can hold the items back. The
    // probe notes every item that arrives beyond what it had requested.
    probe.request(3);
    Await.until("3 items", Duration.ofSeconds(10), () -> probe.items.size() >= 3);
    assertThat(probe.items).extracting(c -> c.message().content()).startsWith("t0 ", "t1 ", "t2 ");
    probe.request(2);
    Await.until("5 items", Duration.ofSeconds(10), () -> probe.items.size() >= 5);
    probe.request(1);
    Await.until("6 items", Duration.ofSeconds(10), () -> probe.items.size() >= 6);
    assertThat(probe.beyondDemand).as("items delivered beyond the demand").isEmpty();
    assertThat(probe.completed).isFalse();
    probe.subscription.cancel();
    assertThat(probe.items).hasSize(6);
  }

  @Test
  void cancelClosesTheConnectionAtOnce() throws Exception {
    Probe<ChatResponse> probe = new Probe<>();
    client.publisher(() -> client.chatStream(chat("slow"))).subscribe(probe);
    probe.request(Long.MAX_VALUE);
    Await.until("5 items", Duration.ofSeconds(10), () -> probe.items.size() >= 5);
    probe.subscription.cancel();

    assertThat(standIn.awaitDisconnect(Duration.ofSeconds(5))).isTrue();
    int seen = probe.items.size();
    // The slow model sends a token every 5 ms: any item or terminal signal after the disconnect
    // shows within this window.
    Await.holdsFor("no signal after cancel", Duration.ofMillis(200),
        () -> probe.items.size() == seen && probe.terminated.getCount() == 1);
    assertThat(seen).isLessThan(TOKENS.length);
  }

  @Test
  void anHttpErrorBeforeTheStreamReachesOnError() throws Exception {
    Probe<ChatResponse> probe = new Probe<>();
    OllamaClient wrongKey = OllamaClient.builder().baseUrl(standIn.baseUrl()).apiKey("kw-secret-wrong").build();
    try (wrongKey) {
      wrongKey.publisher(() -> wrongKey.chatStream(chat("llama3.2"))).subscribe(probe);
      probe.request(1);
      assertThat(probe.terminated.await(5, TimeUnit.SECONDS)).isTrue();
    }
    assertThat(probe.error.get()).isInstanceOf(OllamaAuthenticationException.class);
    assertThat(probe.items).isEmpty();
  }

  @Test
  void anErrorInTheStreamReachesOnErrorAfterTheTokensBeforeIt() throws Exception {
    standIn.enqueue(Fault.errorAfter(2, "boom"));
    Probe<ChatResponse> probe = new Probe<>();
    client.publisher(() -> client.chatStream(chat("llama3.2"))).subscribe(probe);
    probe.request(Long.MAX_VALUE);
    assertThat(probe.terminated.await(5, TimeUnit.SECONDS)).isTrue();
    assertThat(probe.items).hasSize(2);
    assertThat(probe.error.get()).isInstanceOf(OllamaStreamException.class).hasMessageContaining("boom");
  }

  @Test
  void aNonPositiveRequestIsAnError() throws Exception {
    Probe<ChatResponse> probe = new Probe<>();
    client.publisher(() -> client.chatStream(chat("llama3.2"))).subscribe(probe);
    probe.request(0);
    assertThat(probe.terminated.await(5, TimeUnit.SECONDS)).isTrue();
    assertThat(probe.error.get()).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("3.9");
  }

  @Test
  void eachSubscriberGetsItsOwnCall() throws Exception {
    Flow.Publisher<ChatResponse> publisher = client.publisher(() -> client.chatStream(chat("llama3.2")));
    Probe<ChatResponse> a = new Probe<>();
    Probe<ChatResponse> b = new Probe<>();
    publisher.subscribe(a);
    publisher.subscribe(b);
    a.request(Long.MAX_VALUE);
    b.request(Long.MAX_VALUE);
    assertThat(a.terminated.await(10, TimeUnit.SECONDS) && b.terminated.await(10, TimeUnit.SECONDS)).isTrue();
    assertThat(a.items).hasSize(TOKENS.length + 1);
    assertThat(b.items).hasSize(TOKENS.length + 1);
    assertThat(standIn.requestCount()).isEqualTo(2);
  }

  @Test
  void theReadmeReactorLineWorksWithTakeAndLimitRate() {
    Flux<ChatResponse> flux = JdkFlowAdapter.flowPublisherToFlux(
        client.publisher(() -> client.chatStream(chat("slow"))));

    List<String> first = flux.limitRate(2).take(10).map(c -> c.message().content()).collectList()
        .block(Duration.ofSeconds(10));

    assertThat(first).containsExactly(java.util.Arrays.copyOf(TOKENS, 10));
    assertThat(standIn.awaitDisconnect(Duration.ofSeconds(5))).isTrue(); // take(10) cancelled upstream
  }

  @Test
  void worksForEveryStreamIncludingGenerate() {
    String text = JdkFlowAdapter.flowPublisherToFlux(client.publisher(() -> client.generateStream(
            dev.keyway.ollama.model.GenerateRequest.builder().model("llama3.2").prompt("count").build())))
        .map(dev.keyway.ollama.model.GenerateResponse::response)
        .reduce("", String::concat)
        .block(Duration.ofSeconds(10));
    assertThat(text).isEqualTo(String.join("", TOKENS));
  }

  @Test
  void aClosedClientRefusesNewSubscriptions() throws Exception {
    Flow.Publisher<Progress> publisher = client.publisher(() -> client.models().pullStream("x"));
    client.close();
    Probe<Progress> probe = new Probe<>();
    publisher.subscribe(probe);
    probe.request(1);
    assertThat(probe.terminated.await(5, TimeUnit.SECONDS)).isTrue();
    assertThat(probe.error.get()).isInstanceOf(IllegalStateException.class).hasMessageContaining("closed");
  }
}
