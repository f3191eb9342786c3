package dev.keyway.ollama;

import dev.keyway.ollama.internal.ClientConfig;
import dev.keyway.ollama.internal.DefaultOllamaClient;
import dev.keyway.ollama.internal.EnvConfig;
import dev.keyway.ollama.internal.OllamaHost;
import dev.keyway.ollama.internal.Observers;
import dev.keyway.ollama.internal.Tls;
import dev.keyway.ollama.model.ChatRequest;
import dev.keyway.ollama.model.ChatResponse;
import dev.keyway.ollama.model.EmbedRequest;
import dev.keyway.ollama.model.EmbedResponse;
import dev.keyway.ollama.model.EmbeddingsRequest;
import dev.keyway.ollama.model.GenerateRequest;
import dev.keyway.ollama.model.GenerateResponse;
import dev.keyway.ollama.model.ModelSummary;
import dev.keyway.ollama.model.RunningModel;
import dev.keyway.ollama.model.ShowResponse;
import dev.keyway.ollama.model.WebFetchResponse;
import dev.keyway.ollama.model.WebSearchResponse;
import io.github.resilience4j.retry.Retry;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.Executor;
import java.util.concurrent.Flow;
import java.util.function.Supplier;
import javax.net.ssl.SSLSocketFactory;
import javax.net.ssl.X509TrustManager;
import okhttp3.HttpUrl;
import okhttp3.OkHttpClient;
import org.jspecify.annotations.Nullable;

/**
 * A client for one Ollama server, reached directly or through a proxy that checks a credential.
 *
 * <pre>{@code
 * OllamaClient client = OllamaClient.builder()
 *     .baseUrl("https://ollama.example.com")   // a proxy's path prefix is kept: https://host/ollama
 *     .apiKey(System.getenv("OLLAMA_API_KEY"))  // sends X-API-Key; or .bearerToken(…), .credential(…)
 *     .build();
 * ChatResponse reply = client.chat(ChatRequest.builder().model("llama3.2")
 *     .addMessage(Message.user("Why is the sky blue?")).build());
 * }</pre>
 *
 * <h2>Create one, share it</h2>
 * A client is immutable and thread-safe. It owns a connection pool and, for the asynchronous
 * methods, a thread pool: create it once, use it from every thread, and {@link #close()} it when the
 * application stops.
 *
 * <h2>Credentials</h2>
 * The credential is attached only to requests for the configured origin (scheme, host and port).
 * A redirect elsewhere never carries it, and a redirect that changes the scheme is refused. It
 * never appears in {@code toString()}, logs or exception messages.
 *
 * <h2>Errors and retries</h2>
 * Every method throws a subclass of {@link OllamaException}. Connect failures and 408, 429, 502,
 * 503 and 504 answers are retried with exponential backoff and jitter, honouring
 * {@code Retry-After} (3 attempts in all by default); nothing is retried once a response body has
 * started to arrive. Every attempt is one request: the client keeps OkHttp from repeating a request
 * on its own (OkHttp 4.12 would resend one answered 503 with {@code Retry-After: 0}, or 408), so the
 * policy's budget counts every request a server sees, and it honours {@code Retry-After: 0} itself.
 */
public interface OllamaClient extends AutoCloseable {

  /** Default base URL, Ollama's own: {@value}. */
  String DEFAULT_BASE_URL = "http://127.0.0.1:11434";

  /** Default wait before the first retry (500 ms); see {@link Builder#retryBackoff}. */
  Duration DEFAULT_INITIAL_BACKOFF = Duration.ofMillis(500);

  /** Default longest wait between attempts (30 s); see {@link Builder#retryBackoff}. */
  Duration DEFAULT_MAX_BACKOFF = Duration.ofSeconds(30);

  /** Default of {@link Builder#maxAnswerSize(long)}: {@value} bytes (32 MiB). */
  long DEFAULT_MAX_ANSWER_SIZE = 32L * 1024 * 1024;

  /** Starts a builder with the defaults: local Ollama, no credential, 3 attempts. */
  static Builder builder() {
    return new Builder();
  }

  /**
   * A client configured from the environment the way Ollama's own tools read it.
   *
   * <table>
   *   <caption>Environment variables</caption>
   *   <tr><th>Variable</th><th>Builder equivalent</th><th>When unset</th></tr>
   *   <tr><td>{@code OLLAMA_HOST}</td><td>{@link Builder#ollamaHost(String)}</td>
   *       <td>{@code http://127.0.0.1:11434}</td></tr>
   *   <tr><td>{@code OLLAMA_API_KEY}</td><td>{@link Builder#bearerToken(String)}, or the header
   *       below</td><td>no credential</td></tr>
   *   <tr><td>{@code OLLAMA_API_KEY_HEADER}</td><td>{@code credential(Credential.header(name, key))}
   *       </td><td>{@code Authorization: Bearer <key>}</td></tr>
   * </table>
   */
  static OllamaClient fromEnv() {
    return builder().fromEnv().build();
  }

  /** Sends a chat and waits for the whole answer ({@code "stream": false}). */
  default ChatResponse chat(ChatRequest request) {
    return chat(request, RequestOptions.none());
  }

  /** {@link #chat(ChatRequest)} with per-call timeouts. */
  ChatResponse chat(ChatRequest request, RequestOptions options);

  /**
   * Sends a chat and streams the answer ({@code "stream": true}); each chunk is delivered as soon
   * as its line arrives. The HTTP status has been checked when this returns: errors before the
   * first chunk throw here.
   */
  default OllamaStream<ChatResponse> chatStream(ChatRequest request) {
    return chatStream(request, RequestOptions.none());
  }

  /** {@link #chatStream(ChatRequest)} with per-call timeouts. */
  OllamaStream<ChatResponse> chatStream(ChatRequest request, RequestOptions options);

  /**
   * Streams a chat on a background thread into {@code handler}. Returns at once; errors, including
   * the HTTP status, reach {@link StreamHandler#onError}.
   */
  default StreamHandle<ChatResponse> chatStream(
      ChatRequest request, StreamHandler<ChatResponse> handler) {
    return chatStream(request, RequestOptions.none(), handler);
  }

  /** {@link #chatStream(ChatRequest, StreamHandler)} with per-call timeouts. */
  StreamHandle<ChatResponse> chatStream(
      ChatRequest request, RequestOptions options, StreamHandler<ChatResponse> handler);

  /** Sends a completion request and waits for the whole answer ({@code "stream": false}). */
  default GenerateResponse generate(GenerateRequest request) {
    return generate(request, RequestOptions.none());
  }

  /** {@link #generate(GenerateRequest)} with per-call timeouts. */
  GenerateResponse generate(GenerateRequest request, RequestOptions options);

  /** Sends a completion request and streams the answer; see {@link #chatStream(ChatRequest)}. */
  default OllamaStream<GenerateResponse> generateStream(GenerateRequest request) {
    return generateStream(request, RequestOptions.none());
  }

  /** {@link #generateStream(GenerateRequest)} with per-call timeouts. */
  OllamaStream<GenerateResponse> generateStream(GenerateRequest request, RequestOptions options);

  /** Streams a completion on a background thread; see {@link #chatStream(ChatRequest, StreamHandler)}. */
  default StreamHandle<GenerateResponse> generateStream(
      GenerateRequest request, StreamHandler<GenerateResponse> handler) {
    return generateStream(request, RequestOptions.none(), handler);
  }

  /** {@link #generateStream(GenerateRequest, StreamHandler)} with per-call timeouts. */
  StreamHandle<GenerateResponse> generateStream(
      GenerateRequest request, RequestOptions options, StreamHandler<GenerateResponse> handler);

  /** The models the server has ({@code GET /api/tags}). */
  default List<ModelSummary> listModels() {
    return listModels(RequestOptions.none());
  }

  /** {@link #listModels()} with per-call timeouts and retries. */
  List<ModelSummary> listModels(RequestOptions options);

  /** The server's version ({@code GET /api/version}), for example {@code 0.33.0}. */
  default String version() {
    return version(RequestOptions.none());
  }

  /**
   * {@link #version()} with per-call timeouts and retries: a health check bounds it, for example
   * {@code RequestOptions.builder().callTimeout(Duration.ofSeconds(3)).maxAttempts(1).build()}.
   */
  String version(RequestOptions options);

  /**
   * Turns texts into vectors ({@code POST /api/embed}): one L2-normalised vector per input, in
   * input order.
   */
  default EmbedResponse embed(EmbedRequest request) {
    return embed(request, RequestOptions.none());
  }

  /** {@link #embed(EmbedRequest)} with per-call timeouts and retries. */
  EmbedResponse embed(EmbedRequest request, RequestOptions options);

  /**
   * The legacy {@code POST /api/embeddings}: one prompt, one vector that is not normalised. Prefer
   * {@link #embed(EmbedRequest)}; this is for code that depends on the old vectors.
   */
  default double[] embeddings(EmbeddingsRequest request) {
    return embeddings(request, RequestOptions.none());
  }

  /** {@link #embeddings(EmbeddingsRequest)} with per-call timeouts and retries. */
  double[] embeddings(EmbeddingsRequest request, RequestOptions options);

  /** The models loaded in memory now ({@code GET /api/ps}); empty when none is. */
  default List<RunningModel> running() {
    return running(RequestOptions.none());
  }

  /** {@link #running()} with per-call timeouts and retries. */
  List<RunningModel> running(RequestOptions options);

  /**
   * What the server knows about a model ({@code POST /api/show}): details, capabilities, template,
   * parameters and its GGUF metadata (large arrays left out).
   *
   * @throws OllamaModelNotFoundException if the server does not have it
   */
  default ShowResponse show(String model) {
    return show(model, RequestOptions.none());
  }

  /** {@link #show(String)} with per-call timeouts and retries. */
  ShowResponse show(String model, RequestOptions options);

  /** {@link #show(String)} with {@code verbose: true}: the GGUF metadata's large arrays too. */
  default ShowResponse showVerbose(String model) {
    return showVerbose(model, RequestOptions.none());
  }

  /** {@link #showVerbose(String)} with per-call timeouts and retries. */
  ShowResponse showVerbose(String model, RequestOptions options);

  /** Model management: pull, push, create, copy, delete, blobs, load and unload. */
  OllamaModels models();

  /**
   * Searches the web through Ollama Cloud ({@code POST api/web_search} at the base URL, normally
   * {@code https://ollama.com}). Needs a Bearer credential (an ollama.com API key); the request
   * goes to the configured base URL only, never to another host.
   *
   * @param maxResults 1 to 10
   * @throws IllegalStateException if the client has no Bearer credential
   */
  default WebSearchResponse webSearch(String query, int maxResults) {
    return webSearch(query, maxResults, RequestOptions.none());
  }

  /** {@link #webSearch(String, int)} with per-call timeouts and retries. */
  WebSearchResponse webSearch(String query, int maxResults, RequestOptions options);

  /** {@link #webSearch(String, int)} with the server's default of 5 results. */
  default WebSearchResponse webSearch(String query) {
    return webSearch(query, 5);
  }

  /**
   * Fetches one page as text through Ollama Cloud ({@code POST api/web_fetch}); see
   * {@link #webSearch(String, int)} for the credential it needs.
   *
   * @throws IllegalStateException if the client has no Bearer credential
   */
  default WebFetchResponse webFetch(String url) {
    return webFetch(url, RequestOptions.none());
  }

  /** {@link #webFetch(String)} with per-call timeouts and retries. */
  WebFetchResponse webFetch(String url, RequestOptions options);

  /**
   * A {@link Flow.Publisher} view of any stream of this client, for reactive libraries:
   *
   * <pre>{@code
   * Flux<ChatResponse> flux = JdkFlowAdapter.flowPublisherToFlux(
   *     client.publisher(() -> client.chatStream(request)));
   * }</pre>
   *
   * <p>The publisher is cold: each subscriber gets its own call, opened by {@code open} on the
   * client's executor at the subscriber's first request, and never before. Chunks are read only as
   * the subscriber requests them, so a slow subscriber slows the read (TCP backpressure) instead of
   * filling memory. Cancelling the subscription cancels the HTTP call at once. Errors, including
   * those of {@code open}, reach {@link Flow.Subscriber#onError} as {@link OllamaException}s.
   */
  <T> Flow.Publisher<T> publisher(Supplier<OllamaStream<T>> open);

  /**
   * Sends one of Ollama's own requests as it is and returns the answer unread: for code that relays
   * Ollama's protocol, such as Keyway's gateway. The request goes to the base URL with this
   * client's credential, timeouts, retries (fewer with {@link RequestOptions.Builder#maxAttempts})
   * and error mapping; non-2xx answers throw like every other method. The body of the answer is
   * never compressed and never contains the credential (see {@link PassThroughResponse}).
   *
   * <p>Nothing is checked or rewritten in the request body: a relay that takes bodies from
   * untrusted callers must check them first.
   *
   * <p>The call is reported like any other: to the {@link OllamaCallListener} and the
   * {@link OllamaCallObserver} (so the trace context goes upstream), under its path and the model
   * set with {@link PassThroughRequest#model}. It ends when the answer has been read to its end, a
   * read fails, or the answer is cancelled or closed before its end; token usage and
   * {@code load_duration} are read from the answer's last line only. With an observer, the
   * sampling options OpenTelemetry's GenAI conventions name ({@code temperature}, {@code top_p},
   * {@code top_k}, {@code num_predict}, {@code seed}, {@code presence_penalty},
   * {@code frequency_penalty}, {@code stop}) are read from the body's top-level {@code options}
   * into {@link OllamaCallObserver.CallInfo#options()}; nothing else of the body is handed over
   * (no prompt or message text, whatever the observer's {@code capturesContent()}).
   */
  PassThroughResponse passThrough(PassThroughRequest request);

  /** The base URL requests go to, for example {@code https://ollama.example.com/ollama/}. */
  String baseUrl();

  /**
   * Cancels running asynchronous streams, stops the client's own threads and evicts its idle
   * connections. Idempotent. A connection pool or executor supplied by the caller is not shut down.
   */
  @Override
  void close();

  /**
   * Configures an {@link OllamaClient}. Every setter validates at once and says what to fix.
   * Not thread-safe; a builder can build several clients.
   */
  final class Builder {
    private HttpUrl baseUrl = OllamaHost.parse("");
    private Credential credential = Credential.none();
    private Duration connectTimeout = Duration.ofSeconds(10);
    private Duration readTimeout = Duration.ofMinutes(10);
    private @Nullable Duration callTimeout;
    private int maxRetries = 2;
    private Duration initialBackoff = DEFAULT_INITIAL_BACKOFF;
    private Duration maxBackoff = DEFAULT_MAX_BACKOFF;
    private @Nullable Retry retry;
    private boolean requireHttps;
    private @Nullable SSLSocketFactory sslSocketFactory;
    private @Nullable X509TrustManager trustManager;
    private @Nullable OkHttpClient okHttpClient;
    private @Nullable Executor executor;
    private @Nullable OllamaCallListener listener;
    private @Nullable OllamaCallObserver observer;
    private long maxAnswerSize = DEFAULT_MAX_ANSWER_SIZE;

    Builder() {}

    /**
     * Where Ollama (or the proxy in front of it) is, as an {@code http} or {@code https} URL. A
     * path is kept as a prefix: {@code https://host/ollama} sends chats to
     * {@code https://host/ollama/api/chat}. A trailing slash makes no difference.
     *
     * @throws IllegalArgumentException if the URL is malformed, or carries a user name, password or
     *     query
     */
    public Builder baseUrl(String baseUrl) {
      this.baseUrl = OllamaHost.parseUrl(baseUrl);
      return this;
    }

    /**
     * Where Ollama is, written as {@code OLLAMA_HOST} is: {@code host}, {@code host:port},
     * {@code scheme://host[:port][/path]}; a missing port is 11434 ({@code http}), 80 or 443 with an
     * explicit scheme; bare {@code ollama.com} means {@code https://ollama.com:443}; an empty value
     * means {@value OllamaClient#DEFAULT_BASE_URL}.
     */
    public Builder ollamaHost(String ollamaHost) {
      this.baseUrl = OllamaHost.parse(ollamaHost);
      return this;
    }

    /** Sends {@code X-API-Key: <key>} (the Caddy and nginx API-key setups). */
    public Builder apiKey(String key) {
      return credential(Credential.apiKey(key));
    }

    /** Sends {@code Authorization: Bearer <token>} (Ollama Cloud, Open WebUI, nginx bearer maps). */
    public Builder bearerToken(String token) {
      return credential(Credential.bearer(token));
    }

    /** Sends this credential; replaces any set before. {@link Credential#none()} sends nothing. */
    public Builder credential(Credential credential) {
      this.credential = Objects.requireNonNull(credential, "credential");
      return this;
    }

    /** Time allowed to open a connection. Default 10 s. */
    public Builder connectTimeout(Duration timeout) {
      this.connectTimeout = RequestOptions.positive("connectTimeout", timeout);
      return this;
    }

    /**
     * Longest silence allowed between two reads: the wait for the first byte (a model loading) and
     * the gap between two stream lines. Default 10 minutes, so that a large model loading does not
     * fail the first call.
     */
    public Builder readTimeout(Duration timeout) {
      this.readTimeout = RequestOptions.positive("readTimeout", timeout);
      return this;
    }

    /** Limit on a whole call including its stream. Default none. */
    public Builder callTimeout(Duration timeout) {
      this.callTimeout = RequestOptions.positive("callTimeout", timeout);
      return this;
    }

    /** Retries after the first attempt; {@code 0} disables retrying. Default 2 (3 attempts). */
    public Builder maxRetries(int maxRetries) {
      if (maxRetries < 0) {
        throw new IllegalArgumentException("maxRetries must be 0 or more, was " + maxRetries);
      }
      this.maxRetries = maxRetries;
      return this;
    }

    /**
     * Backoff between attempts: {@code initial}, doubling each time with ±50% jitter, never more
     * than {@code max}. A {@code Retry-After} up to {@code max} is honoured as sent; a longer one
     * is not waited for, and its exception is thrown at once. Defaults 500 ms and 30 s.
     */
    public Builder retryBackoff(Duration initial, Duration max) {
      RequestOptions.positive("initial backoff", initial);
      RequestOptions.positive("max backoff", max);
      if (initial.compareTo(max) > 0) {
        throw new IllegalArgumentException("initial backoff " + initial + " exceeds max " + max);
      }
      this.initialBackoff = initial;
      this.maxBackoff = max;
      return this;
    }

    /**
     * Uses this resilience4j {@link Retry} instead of Keyway's policy. It sees Keyway's exceptions:
     * {@link OllamaTransportException} and {@link OllamaHttpException} (with
     * {@link OllamaHttpException#retryAfter()}). It is consulted only before a response body has
     * started. Overrides {@link #maxRetries} and {@link #retryBackoff}.
     */
    public Builder retry(Retry retry) {
      this.retry = Objects.requireNonNull(retry, "retry");
      return this;
    }

    /**
     * Whether to refuse sending a credential over plain {@code http} to a host that is not
     * loopback. When false (the default), doing so logs one warning naming the host.
     */
    public Builder requireHttps(boolean requireHttps) {
      this.requireHttps = requireHttps;
      return this;
    }

    /**
     * Also trusts the CA certificates in this PEM file, on top of the JDK's: Caddy's
     * {@code tls internal} root ({@code …/pki/authorities/local/root.crt}) or a company CA.
     */
    public Builder trustCertificates(Path pemFile) {
      return sslTrust(Tls.trustingPemFile(pemFile));
    }

    /** Also trusts the CA certificates in this PEM text, on top of the JDK's. */
    public Builder trustCertificatesPem(String pem) {
      return sslTrust(Tls.trustingPem(pem));
    }

    /** Uses this TLS setup (for example from a Spring Boot SSL bundle). */
    public Builder sslSocketFactory(SSLSocketFactory socketFactory, X509TrustManager trustManager) {
      this.sslSocketFactory = Objects.requireNonNull(socketFactory, "socketFactory");
      this.trustManager = Objects.requireNonNull(trustManager, "trustManager");
      return this;
    }

    private Builder sslTrust(Tls.Trust trust) {
      return sslSocketFactory(trust.socketFactory(), trust.trustManager());
    }

    /**
     * Starts from this OkHttp client: its proxy, interceptors, dispatcher and connection pool are
     * kept (the pool is shared with it). The credential is added to a derived client only, never to
     * {@code client}. Keyway's timeouts and TLS settings, when set, override the client's. Where
     * {@code client} keeps OkHttp's default socket factory, Keyway opens its sockets with Nagle's
     * algorithm off ({@code TCP_NODELAY}), as it does without one; a socket factory of the
     * caller's is used as it is.
     */
    public Builder okHttpClient(OkHttpClient client) {
      this.okHttpClient = Objects.requireNonNull(client, "client");
      return this;
    }

    /**
     * Runs asynchronous streams on this executor (for example virtual threads on JDK 21:
     * {@code Executors.newVirtualThreadPerTaskExecutor()}). Each running stream occupies one task
     * while it reads. Default: the client's own pool of daemon threads, shut down by
     * {@link OllamaClient#close()}.
     */
    public Builder executor(Executor executor) {
      this.executor = Objects.requireNonNull(executor, "executor");
      return this;
    }

    /**
     * Reports every finished call to {@code listener}, for metrics; see {@link OllamaCallListener}.
     * Listeners add up: each one added is called, in the order added.
     */
    public Builder listener(OllamaCallListener listener) {
      Objects.requireNonNull(listener, "listener");
      OllamaCallListener previous = this.listener;
      this.listener = previous == null ? listener : event -> {
        previous.onCallEnd(event);
        listener.onCallEnd(event);
      };
      return this;
    }

    /**
     * Observes every call while it runs, for tracing; see {@link OllamaCallObserver}. Observers add
     * up: each one added is started, in the order added, and each sees the headers of the ones
     * before. Without an observer a call costs nothing extra.
     */
    public Builder observer(OllamaCallObserver observer) {
      Objects.requireNonNull(observer, "observer");
      OllamaCallObserver previous = this.observer;
      this.observer = previous == null ? observer : Observers.both(previous, observer);
      return this;
    }

    /**
     * The most of one answer the client holds in memory, so that a hostile or broken upstream
     * cannot exhaust it: the body of a non-streamed answer, in bytes, and what a stream's
     * {@link OllamaStream#result()} joins (text and thinking, counted one per character, plus tool
     * calls and log probabilities). Past it, a non-streamed call throws
     * {@link OllamaProtocolException} and {@code result()} throws {@link OllamaStreamException} and
     * closes the stream; iterating a stream's chunks is not limited, since each chunk is the
     * caller's to keep or drop. Default {@value OllamaClient#DEFAULT_MAX_ANSWER_SIZE} bytes (32 MiB).
     */
    public Builder maxAnswerSize(long bytes) {
      if (bytes < 1) {
        throw new IllegalArgumentException("maxAnswerSize must be positive, was " + bytes);
      }
      this.maxAnswerSize = bytes;
      return this;
    }

    /**
     * Applies {@code OLLAMA_HOST}, {@code OLLAMA_API_KEY} and {@code OLLAMA_API_KEY_HEADER} from
     * the environment, as documented on {@link OllamaClient#fromEnv()}. Variables that are unset
     * leave the builder as it is.
     */
    public Builder fromEnv() {
      EnvConfig.apply(this, System::getenv);
      return this;
    }

    /**
     * Builds the client.
     *
     * @throws IllegalArgumentException if {@link #requireHttps(boolean)} forbids the configuration
     */
    public OllamaClient build() {
      ClientConfig config =
          new ClientConfig(
              baseUrl,
              credential.isPresent() ? credential.headerName() : null,
              credential.isPresent() ? credential::headerValue : null,
              connectTimeout,
              readTimeout,
              callTimeout,
              maxRetries,
              initialBackoff,
              maxBackoff,
              retry,
              requireHttps,
              sslSocketFactory,
              trustManager,
              okHttpClient,
              executor,
              listener,
              maxAnswerSize,
              observer);
      return DefaultOllamaClient.create(config);
    }
  }
}
