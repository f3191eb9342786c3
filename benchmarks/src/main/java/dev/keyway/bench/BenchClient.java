package dev.keyway.bench;

import java.util.List;
import java.util.Locale;

/**
 * One client library as a user would call it, reduced to what the scenarios need. Each content
 * chunk reaches {@link Listener#onToken} as that library hands it to user code.
 */
interface BenchClient extends AutoCloseable {
  /** The names {@link #create} knows, in the order the tables list them. */
  List<String> ALL = List.of("keyway", "keyway-async", "floor", "ollama4j", "langchain4j", "springai");

  /** The API key every client sends; the stand-in accepts any, Caddy checks this one. */
  String KEY = "kw-bench-key";

  /** Receives a stream. */
  interface Listener {
    /** One content chunk, in user code. */
    void onToken(String content);

    /** After the last chunk. */
    default void onDone() {}

    /** If the call or the stream failed. */
    default void onError(Throwable error) {}
  }

  /** Streams {@code model}'s answer to its end, returning when it ended; throws when it failed. */
  void stream(String model, Listener listener);

  /**
   * Starts streaming {@code model}'s answer and returns at once; the listener is called on the
   * library's own threads. Libraries with only a blocking API run it on a new platform thread, as
   * their users must.
   */
  default void start(String model, Listener listener) {
    Thread t = new Thread(() -> {
      try {
        stream(model, listener);
      } catch (Throwable e) {
        listener.onError(e);
      }
    }, "bench-stream");
    t.setDaemon(true);
    t.start();
  }

  /** One unary chat ({@code "stream": false}); returns the answer's content. */
  String chat(String model);

  @Override
  void close();

  static BenchClient create(String name, String baseUrl) {
    switch (name) {
      case "keyway":
        return new KeywayClient(baseUrl, false);
      case "keyway-async":
        return new KeywayClient(baseUrl, true);
      case "floor":
        return new FloorClient(baseUrl, false);
      case "floor-min":
        return new FloorClient(baseUrl, true);
      case "ollama4j":
        return new Ollama4jClient(baseUrl);
      case "langchain4j":
        return new LangChain4jClient(baseUrl);
      case "springai":
        return new SpringAiClient(baseUrl);
      default:
        throw new IllegalArgumentException("unknown client " + name + "; known: " + ALL);
    }
  }

  /** Waits for an asynchronous stream, rethrowing its failure. */
  final class Completion implements Listener {
    private final Listener delegate;
    private final java.util.concurrent.CountDownLatch latch = new java.util.concurrent.CountDownLatch(1);
    private volatile Throwable failure;

    Completion(Listener delegate) {
      this.delegate = delegate;
    }

    @Override
    public void onToken(String content) {
      delegate.onToken(content);
    }

    @Override
    public void onDone() {
      delegate.onDone();
      latch.countDown();
    }

    @Override
    public void onError(Throwable error) {
      failure = error;
      delegate.onError(error);
      latch.countDown();
    }

    void await() {
      try {
        if (!latch.await(10, java.util.concurrent.TimeUnit.MINUTES)) {
          throw new IllegalStateException("stream did not finish within 10 minutes");
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException(e);
      }
      Throwable f = failure;
      if (f != null) {
        throw new IllegalStateException("stream failed: " + f, f);
      }
    }
  }

  static String requestJson(String model, boolean stream) {
    return String.format(Locale.ROOT,
        "{\"model\":\"%s\",\"messages\":[{\"role\":\"user\",\"content\":\"Why is the sky blue?\"}],\"stream\":%s}",
        model, stream);
  }
}
