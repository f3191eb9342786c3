package dev.keyway.bench;

import dev.keyway.ollama.OllamaClient;
import dev.keyway.ollama.OllamaStream;
import dev.keyway.ollama.model.ChatRequest;
import dev.keyway.ollama.model.ChatResponse;
import dev.keyway.ollama.model.Message;
import dev.keyway.ollama.spring.OllamaAutoConfiguration;
import dev.keyway.ollama.spring.OllamaClientCustomizer;
import dev.keyway.ollama.spring.actuate.OllamaMetricsAutoConfiguration;
import dev.keyway.ollama.spring.observation.OllamaObservationAutoConfiguration;
import io.micrometer.common.KeyValue;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.observation.DefaultMeterObservationHandler;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.micrometer.observation.Observation;
import io.micrometer.observation.ObservationHandler;
import io.micrometer.observation.ObservationRegistry;
import io.micrometer.observation.transport.SenderContext;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Protocol;
import okhttp3.Response;
import okhttp3.ResponseBody;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.infra.Blackhole;
import org.springframework.context.annotation.AnnotationConfigApplicationContext;
import org.springframework.core.env.MapPropertySource;

/**
 * What observing a call costs the client (issue 14). The client is the starter's auto-configured
 * one; answers come from an OkHttp application interceptor (canned bytes, no socket), so the
 * figures are the client's own CPU per call and are not drowned in loopback noise:
 *
 * <ul>
 *   <li>{@code none}: no {@code ObservationRegistry} bean, so no observer (the default without the
 *       actuator);
 *   <li>{@code noop}: an observer on a registry without handlers (observations are no-ops) and no
 *       meter registry: the cost of the hook itself;
 *   <li>{@code real}: Boot's {@code DefaultMeterObservationHandler} and a simple tracing handler
 *       (a span object per call, a {@code traceparent} propagated, every key value copied at the
 *       end, the span handed to a counter), plus the GenAI meters and the {@code ollama.client.*}
 *       listener on a {@code SimpleMeterRegistry} (what an application with the actuator and a
 *       tracing bridge has);
 *   <li>{@code meters}: a {@code SimpleMeterRegistry} and no {@code ObservationRegistry}: the
 *       {@code ollama.client.*} listener alone;
 *   <li>{@code tracing}: the simple tracing handler alone, no meter registry: {@code real} split
 *       in two with {@code meters}.
 * </ul>
 *
 * <p>{@code unary} is one non-streamed chat; {@code stream} reads a stream of {@value #CHUNKS}
 * chunks through the client's decode path (per chunk, the observer is touched only at the first
 * and the last).
 *
 * <pre>
 * java -cp benchmarks/target/benchmarks.jar org.openjdk.jmh.Main ObservationBench -f 2 -wi 5 -i 5 -w 2s -r 2s
 * </pre>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class ObservationBench {
  static final int CHUNKS = 10_000;
  private static final MediaType JSON = MediaType.get("application/json");
  private static final MediaType NDJSON = MediaType.get("application/x-ndjson");

  @Param({"none", "noop", "real", "meters", "tracing"})
  public String observer;

  private AnnotationConfigApplicationContext context;
  private OllamaClient client;
  private final ChatRequest request =
      ChatRequest.builder().model("llama3.2").addMessage(Message.user("Why is the sky blue?")).build();

  @Setup(Level.Trial)
  public void setUp() {
    byte[] unary = Wire.unaryAnswer();
    byte[] stream = Wire.ndjson(CHUNKS);
    OkHttpClient canned = new OkHttpClient.Builder().addInterceptor(chain -> {
      boolean streamed = "application/x-ndjson".equals(chain.request().header("Accept"));
      return new Response.Builder().request(chain.request()).protocol(Protocol.HTTP_1_1).code(200)
          .message("OK")
          .body(ResponseBody.create(streamed ? stream : unary, streamed ? NDJSON : JSON))
          .build();
    }).build();
    context = new AnnotationConfigApplicationContext();
    context.getEnvironment().getPropertySources().addFirst(new MapPropertySource("bench",
        Map.of("ollama.base-url", "http://127.0.0.1:1/", "ollama.api-key", "bench-key")));
    context.registerBean("cannedAnswers", OllamaClientCustomizer.class, () -> b -> b.okHttpClient(canned));
    switch (observer) {
      case "none" -> { }
      case "noop" -> context.registerBean(ObservationRegistry.class, ObservationRegistry::create);
      case "real" -> {
        MeterRegistry meters = new SimpleMeterRegistry();
        ObservationRegistry registry = ObservationRegistry.create();
        registry.observationConfig().observationHandler(new DefaultMeterObservationHandler(meters));
        registry.observationConfig().observationHandler(new SimpleTracing());
        context.registerBean(ObservationRegistry.class, () -> registry);
        context.registerBean(MeterRegistry.class, () -> meters);
      }
      case "meters" -> context.registerBean(MeterRegistry.class, SimpleMeterRegistry::new);
      case "tracing" -> {
        ObservationRegistry registry = ObservationRegistry.create();
        registry.observationConfig().observationHandler(new SimpleTracing());
        context.registerBean(ObservationRegistry.class, () -> registry);
      }
      default -> throw new IllegalArgumentException(observer);
    }
    context.register(OllamaObservationAutoConfiguration.class, OllamaMetricsAutoConfiguration.class,
        OllamaAutoConfiguration.class);
    context.refresh();
    client = context.getBean(OllamaClient.class);
  }

  @TearDown(Level.Trial)
  public void tearDown() {
    context.close();
    if ((observer.equals("real") || observer.equals("tracing")) && SimpleTracing.EXPORTED.sum() == 0) {
      throw new IllegalStateException("the real variant exported no span: it was not observed");
    }
  }

  @Benchmark
  public String unary() {
    return client.chat(request).message().content();
  }

  @Benchmark
  public int stream(Blackhole bh) {
    int n = 0;
    try (OllamaStream<ChatResponse> s = client.chatStream(request)) {
      for (ChatResponse chunk : s) {
        bh.consume(chunk.message().content());
        n++;
      }
    }
    if (n != CHUNKS + 1) {
      throw new IllegalStateException("read " + n + " chunks of " + (CHUNKS + 1));
    }
    return n;
  }

  /** What a tracing bridge does, roughly: a span per observation, propagated, tagged, exported. */
  static final class SimpleTracing implements ObservationHandler<Observation.Context> {
    static final LongAdder EXPORTED = new LongAdder();

    static final class Span {
      final String traceId = Long.toHexString(ThreadLocalRandom.current().nextLong())
          + Long.toHexString(ThreadLocalRandom.current().nextLong());
      final String spanId = Long.toHexString(ThreadLocalRandom.current().nextLong());
      final long start = System.nanoTime();
      final Map<String, String> attributes = new HashMap<>();
      final List<String> events = new ArrayList<>(2);
      long end;
      Throwable error;
    }

    @Override
    @SuppressWarnings({"unchecked", "rawtypes"})
    public void onStart(Observation.Context context) {
      Span span = new Span();
      context.put(Span.class, span);
      if (context instanceof SenderContext sender) {
        sender.getSetter().set(sender.getCarrier(), "traceparent",
            "00-" + span.traceId + "-" + span.spanId + "-01");
      }
    }

    @Override
    public void onEvent(Observation.Event event, Observation.Context context) {
      context.<Span>get(Span.class).events.add(event.getName());
    }

    @Override
    public void onError(Observation.Context context) {
      context.<Span>get(Span.class).error = context.getError();
    }

    @Override
    public void onStop(Observation.Context context) {
      Span span = context.get(Span.class);
      for (KeyValue kv : context.getAllKeyValues()) {
        span.attributes.put(kv.getKey(), kv.getValue());
      }
      span.attributes.put("name", context.getContextualName());
      span.end = System.nanoTime();
      EXPORTED.increment();
    }

    @Override
    public boolean supportsContext(Observation.Context context) {
      return true;
    }
  }
}
