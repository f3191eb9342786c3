package dev.keyway.ollama.internal;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectWriter;
import dev.keyway.ollama.OllamaCallListener;
import dev.keyway.ollama.OllamaCallObserver;
import dev.keyway.ollama.OllamaClient;
import dev.keyway.ollama.OllamaException;
import dev.keyway.ollama.OllamaModels;
import dev.keyway.ollama.OllamaProtocolException;
import dev.keyway.ollama.OllamaStream;
import dev.keyway.ollama.PassThroughRequest;
import dev.keyway.ollama.PassThroughResponse;
import dev.keyway.ollama.RequestOptions;
import dev.keyway.ollama.StreamHandle;
import dev.keyway.ollama.StreamHandler;
import dev.keyway.ollama.model.ChatRequest;
import dev.keyway.ollama.model.ChatResponse;
import dev.keyway.ollama.model.EmbedRequest;
import dev.keyway.ollama.model.EmbedResponse;
import dev.keyway.ollama.model.EmbeddingsRequest;
import dev.keyway.ollama.model.GenerateRequest;
import dev.keyway.ollama.model.GenerateResponse;
import dev.keyway.ollama.model.ModelOptions;
import dev.keyway.ollama.model.ModelSummary;
import dev.keyway.ollama.model.Progress;
import dev.keyway.ollama.model.RunningModel;
import dev.keyway.ollama.model.ShowResponse;
import dev.keyway.ollama.model.WebFetchResponse;
import dev.keyway.ollama.model.WebSearchResponse;
import java.lang.System.Logger.Level;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executor;
import java.util.concurrent.Executors;
import java.util.concurrent.Flow;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import java.util.function.Supplier;
import javax.net.SocketFactory;
import okhttp3.Call;
import okhttp3.HttpUrl;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;
import org.jspecify.annotations.Nullable;

/** The only {@link OllamaClient} implementation. */
public final class DefaultOllamaClient implements OllamaClient {
  private static final System.Logger LOG = System.getLogger("dev.keyway.ollama");
  private static final MediaType JSON = MediaType.get("application/json");
  private static final String NDJSON = "application/x-ndjson";
  private static final String USER_AGENT = "keyway-ollama/" + Version.VERSION
      + " (Java " + Runtime.version().feature() + ")";
  private static final AtomicInteger THREADS = new AtomicInteger();
  static final int MAX_IDLE_CONNECTIONS = 32;

  private final HttpUrl baseUrl;
  private final Pools http;
  private final Transport transport;
  private final HttpErrors errors;
  private final Redactor redactor;
  private final Executor executor;
  private final @Nullable ExecutorService ownedExecutor;
  private final @Nullable OllamaCallListener listener;
  private final @Nullable OllamaCallObserver observer;
  private final boolean capturesContent;
  private final long maxAnswerSize;
  private final Set<AsyncStream<?>> running = ConcurrentHashMap.newKeySet();
  private final AtomicBoolean closed = new AtomicBoolean();
  private final ObjectWriter chatWriter = Json.MAPPER.writerFor(ChatRequest.class);
  private final ObjectWriter generateWriter = Json.MAPPER.writerFor(GenerateRequest.class);
  private final ObjectWriter plainWriter = Json.MAPPER.writer();
  private final @Nullable String credentialHeader;
  private final @Nullable Supplier<String> credentialValue;
  private final OllamaModels models = new DefaultOllamaModels(this, RequestOptions.none());

  private DefaultOllamaClient(ClientConfig config) {
    this.baseUrl = config.baseUrl();
    this.listener = config.listener();
    this.observer = config.observer();
    this.capturesContent = observer != null && observer.capturesContent();
    this.maxAnswerSize = config.maxAnswerSize();
    this.redactor = new Redactor(config.credentialValue());
    this.errors = new HttpErrors(config.credentialHeader(), redactor);
    this.http = buildHttp(config);
    this.transport = new Transport(baseUrl, http, RetryPolicy.create(config), errors, redactor, closed,
        config.maxAnswerSize());
    this.credentialHeader = config.credentialHeader();
    this.credentialValue = config.credentialValue();
    if (config.executor() != null) {
      this.executor = config.executor();
      this.ownedExecutor = null;
    } else {
      ThreadFactory threads = r -> {
        Thread t = new Thread(r, "keyway-ollama-stream-" + THREADS.incrementAndGet());
        t.setDaemon(true);
        return t;
      };
      this.ownedExecutor = Executors.newCachedThreadPool(threads);
      this.executor = ownedExecutor;
    }
  }

  public static OllamaClient create(ClientConfig config) {
    checkTransportSecurity(config);
    return new DefaultOllamaClient(config);
  }

  private static void checkTransportSecurity(ClientConfig config) {
    HttpUrl url = config.baseUrl();
    if (config.credentialHeader() == null || url.isHttps() || OllamaHost.isLoopback(url.host())) {
      return;
    }
    if (config.requireHttps()) {
      throw new IllegalArgumentException(
          "Refusing to send the credential over plain http to " + url.host()
              + " (requireHttps is on): use an https:// base URL.");
    }
    LOG.log(Level.WARNING,
        "Keyway will send the credential over plain http to {0}; anyone on the network path can"
            + " read it. Use an https:// base URL, or requireHttps(true) to refuse this.",
        url.host());
  }

  private Pools buildHttp(ClientConfig config) {
    OkHttpClient own = config.okHttpClient();
    OkHttpClient.Builder b = own != null ? own.newBuilder() : new OkHttpClient.Builder();
    b.connectTimeout(config.connectTimeout())
        .readTimeout(config.readTimeout())
        .writeTimeout(config.readTimeout())
        .callTimeout(config.callTimeout() == null ? Duration.ZERO : config.callTimeout())
        // Redirects that change the scheme are refused: OkHttp hands us the 3xx, reported as such.
        .followSslRedirects(false)
        // Every request asks for an uncompressed answer, whoever built it: OkHttp inflates gzip
        // only when it asked for it itself, so a hostile proxy's gzip bomb stays a small body.
        .addInterceptor(chain -> chain.proceed(
            chain.request().newBuilder().header("Accept-Encoding", "identity").build()))
        .addNetworkInterceptor(chain -> {
          Transport.Attempt.connected(chain.request()); // network interceptors run once connected
          return ChannelSocket.proceed(chain, chain.request().newBuilder().header("User-Agent", USER_AGENT).build());
        })
        // OkHttp repeats some 408s and 503s on its own: see FollowUpGuard. First of the network
        // interceptors and last of the application ones, so no interceptor of the caller's sees
        // what it shows OkHttp.
        .addInterceptor(FollowUpGuard.RESTORE);
    b.networkInterceptors().add(0, FollowUpGuard.HIDE);
    if (own == null || own.socketFactory() == SocketFactory.getDefault()) {
      // TCP_NODELAY on both. Plain http: channel-backed sockets, so a relayed stream's body can
      // leave OkHttp.
      b.socketFactory(config.baseUrl().isHttps() ? NoDelaySocketFactory.PLAIN : ChannelSocket.Factory.INSTANCE);
    }
    if (config.sslSocketFactory() != null && config.trustManager() != null) {
      b.sslSocketFactory(config.sslSocketFactory(), config.trustManager());
    }
    if (config.observer() != null) {
      // Before the credential interceptor, so it can never replace the credential.
      b.addNetworkInterceptor(new ObserverHeadersInterceptor(baseUrl, config.credentialHeader()));
    }
    if (config.credentialHeader() != null && config.credentialValue() != null) {
      b.addNetworkInterceptor(new CredentialInterceptor(
          baseUrl, config.credentialHeader(), config.credentialValue()));
    }
    // Calls are executed synchronously (async streams run on our executor), so OkHttp's
    // dispatcher limits and threads never come into play.
    // OkHttp keeps 5 idle connections by default: a backend with more concurrent calls than that
    // would open and close a connection for most of them.
    return own != null ? Pools.callers(b.build()) : Pools.owned(b, MAX_IDLE_CONNECTIONS);
  }

  @Override
  public String baseUrl() {
    return baseUrl.toString();
  }

  @Override
  public ChatResponse chat(ChatRequest request, RequestOptions options) {
    Objects.requireNonNull(request, "request");
    CallTracker tracker = track("api/chat", request.model(), false, request.options(), request);
    ChatResponse reply = unary(post("api/chat", write(chatWriter, request, false), false), options,
        ChatResponse.class, tracker);
    tracker.answered(reply);
    tracker.success(reply.promptEvalCount(), reply.evalCount());
    return reply;
  }

  @Override
  public OllamaStream<ChatResponse> chatStream(ChatRequest request, RequestOptions options) {
    return openChatStream(request, options, new Cancellation());
  }

  @Override
  public StreamHandle<ChatResponse> chatStream(
      ChatRequest request, RequestOptions options, StreamHandler<ChatResponse> handler) {
    Objects.requireNonNull(request, "request");
    return startAsync(c -> openChatStream(request, options, c), handler);
  }

  @Override
  public GenerateResponse generate(GenerateRequest request, RequestOptions options) {
    Objects.requireNonNull(request, "request");
    CallTracker tracker = track("api/generate", request.model(), false, request.options(), request);
    GenerateResponse reply = unary(post("api/generate", write(generateWriter, request, false), false),
        options, GenerateResponse.class, tracker);
    tracker.answered(reply);
    tracker.success(reply.promptEvalCount(), reply.evalCount());
    return reply;
  }

  @Override
  public OllamaStream<GenerateResponse> generateStream(GenerateRequest request, RequestOptions options) {
    return openGenerateStream(request, options, new Cancellation());
  }

  @Override
  public StreamHandle<GenerateResponse> generateStream(
      GenerateRequest request, RequestOptions options, StreamHandler<GenerateResponse> handler) {
    Objects.requireNonNull(request, "request");
    return startAsync(c -> openGenerateStream(request, options, c), handler);
  }

  @Override
  public List<ModelSummary> listModels(RequestOptions options) {
    Objects.requireNonNull(options, "options");
    CallTracker tracker = track("api/tags", null, false);
    List<ModelSummary> models =
        unary(get("api/tags"), options, TagsResponse.class, tracker).models();
    tracker.success(null);
    return models;
  }

  @Override
  public String version(RequestOptions options) {
    Objects.requireNonNull(options, "options");
    CallTracker tracker = track("api/version", null, false);
    JsonNode node = unary(get("api/version"), options, JsonNode.class, tracker);
    JsonNode version = node.get("version");
    if (version == null || !version.isTextual()) {
      OllamaException e = new OllamaProtocolException("GET " + baseUrl + "api/version answered"
          + " without a \"version\" field; is the base URL an Ollama server?", null);
      tracker.failure(e);
      throw e;
    }
    tracker.success(null);
    return version.asText();
  }

  @Override
  public EmbedResponse embed(EmbedRequest request, RequestOptions options) {
    Objects.requireNonNull(request, "request");
    Objects.requireNonNull(options, "options");
    CallTracker tracker = track("api/embed", request.model(), false, request.options(), request);
    EmbedResponse answer = unary(post("api/embed", write(plainWriter, request, false), false), options,
        EmbedResponse.class, tracker);
    tracker.answered(answer);
    tracker.success(answer.promptEvalCount(), null);
    return answer;
  }

  @Override
  public double[] embeddings(EmbeddingsRequest request, RequestOptions options) {
    Objects.requireNonNull(request, "request");
    LegacyEmbedding answer =
        postJson("api/embeddings", request.model(), request, LegacyEmbedding.class, options);
    return answer.embedding() == null ? new double[0] : answer.embedding();
  }

  /** The body of {@code /api/embeddings}. */
  record LegacyEmbedding(double @Nullable [] embedding) {}

  /** The body of {@code /api/ps}. */
  record RunningModels(@Nullable List<RunningModel> models) {}

  @Override
  public List<RunningModel> running(RequestOptions options) {
    Objects.requireNonNull(options, "options");
    CallTracker tracker = track("api/ps", null, false);
    RunningModels answer = unary(get("api/ps"), options, RunningModels.class, tracker);
    tracker.success(null);
    return answer.models() == null ? List.of() : List.copyOf(answer.models());
  }

  @Override
  public ShowResponse show(String model, RequestOptions options) {
    return show(model, false, options);
  }

  @Override
  public ShowResponse showVerbose(String model, RequestOptions options) {
    return show(model, true, options);
  }

  private ShowResponse show(String model, boolean verbose, RequestOptions options) {
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("model", requireModel(model, "model"));
    if (verbose) {
      body.put("verbose", true);
    }
    return postJson("api/show", model, body, ShowResponse.class, options);
  }

  @Override
  public OllamaModels models() {
    return models;
  }

  @Override
  public WebSearchResponse webSearch(String query, int maxResults, RequestOptions options) {
    Objects.requireNonNull(query, "query");
    if (query.isBlank()) {
      throw new IllegalArgumentException("webSearch needs a query");
    }
    if (maxResults < 1 || maxResults > 10) {
      throw new IllegalArgumentException("maxResults must be 1 to 10, was " + maxResults);
    }
    requireBearer("webSearch");
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("query", query);
    body.put("max_results", maxResults);
    return postJson("api/web_search", null, body, WebSearchResponse.class, options);
  }

  @Override
  public WebFetchResponse webFetch(String url, RequestOptions options) {
    Objects.requireNonNull(url, "url");
    if (url.isBlank()) {
      throw new IllegalArgumentException("webFetch needs a URL");
    }
    requireBearer("webFetch");
    return postJson("api/web_fetch", null, Map.of("url", url), WebFetchResponse.class, options);
  }

  private void requireBearer(String method) {
    // Read now, not at build time: a rotating credential is only ever read when it is needed.
    boolean bearer = "Authorization".equalsIgnoreCase(credentialHeader) && credentialValue != null
        && credentialValue.get().regionMatches(true, 0, "Bearer ", 0, 7);
    if (!bearer) {
      throw new IllegalStateException(method + " is an Ollama Cloud API and needs a Bearer"
          + " credential: build the client with baseUrl(\"https://ollama.com\") and"
          + " bearerToken(<your ollama.com API key>), or set OLLAMA_API_KEY.");
    }
  }

  @Override
  public <T> Flow.Publisher<T> publisher(Supplier<OllamaStream<T>> open) {
    Objects.requireNonNull(open, "open");
    Executor inCallerContext = callerContext(); // the context where publisher(…) was called
    return new StreamPublisher<>(open, task -> {
      if (closed.get()) {
        throw new IllegalStateException("OllamaClient is closed");
      }
      inCallerContext.execute(task);
    });
  }

  static String requireModel(@Nullable String model, String what) {
    if (model == null || model.isBlank()) {
      throw new IllegalArgumentException(what + " must name a model, was " + (model == null ? "null" : "blank"));
    }
    return model;
  }

  /** POSTs {@code body} as JSON and decodes the JSON answer. */
  <T> T postJson(String path, @Nullable String model, Object body, Class<T> type,
      RequestOptions options) {
    Objects.requireNonNull(options, "options");
    CallTracker tracker = track(path, model, false, body instanceof EmbedRequest embed ? embed.options() : null,
        body instanceof EmbedRequest ? body : null);
    T answer = unary(post(path, write(plainWriter, body, false), false), options, type, tracker);
    tracker.answered(answer);
    tracker.success(null);
    return answer;
  }

  /** Sends a request whose successful answer has no body worth reading (copy, delete, blobs). */
  void sendForStatus(Request request, String endpoint, @Nullable String model, RequestOptions options) {
    CallTracker tracker = track(endpoint, model, false);
    execute(request, options, new Cancellation(), tracker).response().close();
    tracker.success(null);
  }

  /** Opens a pull, push or create progress stream. */
  OllamaStream<Progress> transferStream(String path, @Nullable String model, byte[] body,
      RequestOptions options, Cancellation cancellation) {
    CallTracker tracker = track(path, model, true);
    Request http = post(path, body, true);
    return new NdjsonStream<>(execute(http, options, cancellation, tracker),
        ChunkDecoder.databind(Progress.class), new Accumulator.Transfer(maxAnswerSize), errors, redactor, tracker);
  }

  <T> StreamHandle<T> async(Function<Cancellation, OllamaStream<T>> open, StreamHandler<T> handler) {
    return startAsync(open, handler);
  }

  /** A request for {@code path} that asks for an uncompressed answer, as every request does. */
  Request.Builder request(String path) {
    return new Request.Builder().url(endpoint(path)).header("Accept-Encoding", "identity");
  }

  /** {@code body} as JSON, with {@code "stream"} set on types that declare it. */
  byte[] json(Object body, boolean stream) {
    return write(Json.MAPPER.writerFor(body.getClass()), body, stream);
  }

  @Override
  public PassThroughResponse passThrough(PassThroughRequest request) {
    Objects.requireNonNull(request, "request");
    byte[] json = request.json();
    Request http = new Request.Builder().url(endpoint(request.path()))
        .header("Accept", request.streaming() ? NDJSON : "application/json")
        .header("Accept-Encoding", "identity")
        .method(request.method(), json == null ? null : RequestBody.create(json, JSON))
        // A stream's body may be read by the relay loop (see RelayedResponse#relayTo).
        .tag(ChannelSocket.Relayable.class, request.streaming() ? ChannelSocket.RELAYABLE : null)
        .build();
    // Observed like a typed call: the model is what the relay read from the body, the operation
    // comes from the path, the sampling options from the body's "options" (read only for an
    // observer); the trace context goes upstream as for any call.
    ModelOptions sampling = observer != null && json != null ? RelayedOptions.read(json) : null;
    CallTracker tracker = track(request.path(), request.model(), request.streaming(), sampling, null);
    Exchange exchange = execute(http, request.options(), new Cancellation(), tracker);
    boolean endsWithDone = request.streaming()
        && (request.path().equals("api/chat") || request.path().equals("api/generate"));
    return new RelayedResponse(exchange, redactor, tracker, request.streaming(), endsWithDone, errors);
  }

  private CallTracker track(String endpoint, @Nullable String model, boolean streamed) {
    return track(endpoint, model, streamed, null, null);
  }

  /** {@code request} is handed to the observer only when it captures content. */
  private CallTracker track(String endpoint, @Nullable String model, boolean streamed,
      @Nullable ModelOptions modelOptions, @Nullable Object request) {
    OllamaCallObserver o = observer;
    if (o == null) {
      return CallTracker.start(listener, endpoint, model, streamed);
    }
    return CallTracker.observed(listener, o, new OllamaCallObserver.CallInfo(endpoint, model,
        streamed, modelOptions, baseUrl.host(), baseUrl.port(), capturesContent ? request : null));
  }

  /**
   * The executor for work handed over on this thread: with an observer, one that runs it in the
   * caller's current context, so the call's observation has the caller's as its parent.
   */
  private Executor callerContext() {
    OllamaCallObserver o = observer;
    return o == null ? executor : o.propagating(executor);
  }

  private OllamaStream<ChatResponse> openChatStream(
      ChatRequest request, RequestOptions options, Cancellation cancellation) {
    Objects.requireNonNull(request, "request");
    CallTracker tracker = track("api/chat", request.model(), true, request.options(), request);
    Request http = post("api/chat", write(chatWriter, request, true), true);
    return new NdjsonStream<>(execute(http, options, cancellation, tracker), new ChatChunkDecoder(),
        new Accumulator.Chat(maxAnswerSize), errors, redactor, tracker);
  }

  private OllamaStream<GenerateResponse> openGenerateStream(
      GenerateRequest request, RequestOptions options, Cancellation cancellation) {
    Objects.requireNonNull(request, "request");
    CallTracker tracker = track("api/generate", request.model(), true, request.options(), request);
    Request http = post("api/generate", write(generateWriter, request, true), true);
    return new NdjsonStream<>(execute(http, options, cancellation, tracker), new GenerateChunkDecoder(),
        new Accumulator.Generate(maxAnswerSize), errors, redactor, tracker);
  }

  private <T> StreamHandle<T> startAsync(
      Function<Cancellation, OllamaStream<T>> open, StreamHandler<T> handler) {
    Objects.requireNonNull(handler, "handler");
    if (closed.get()) {
      throw new IllegalStateException("OllamaClient is closed");
    }
    AsyncStream<T>[] self = new AsyncStream[1];
    AsyncStream<T> async = new AsyncStream<>(open, handler, () -> running.remove(self[0]));
    self[0] = async;
    running.add(async);
    callerContext().execute(async);
    return async;
  }

  /**
   * The attempt that succeeded: its call (to cancel), its 2xx response (to read), the read
   * timeout it was made with (0 for none), and the socket holding its body for a relay, if any.
   */
  record Exchange(Call call, Response response, int readTimeoutMillis, @Nullable ChannelSocket held) {
    /** An exchange without a read timeout of its own. */
    Exchange(Call call, Response response) {
      this(call, response, 0, null);
    }
  }

  private <T> T unary(Request request, RequestOptions options, Class<T> type, CallTracker tracker) {
    return transport.unary(request, options, type, tracker);
  }

  private Exchange execute(
      Request request, RequestOptions options, Cancellation cancellation, CallTracker tracker) {
    return transport.execute(request, options, cancellation, tracker);
  }

  private Request post(String path, byte[] body, boolean streaming) {
    return transport.post(path, body, streaming);
  }

  private Request get(String path) {
    return transport.get(path);
  }

  private HttpUrl endpoint(String path) {
    return transport.endpoint(path);
  }

  private static byte[] write(ObjectWriter writer, Object request, boolean stream) {
    try {
      return writer.withAttribute("stream", stream).writeValueAsBytes(request);
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException("Cannot serialize " + request.getClass().getSimpleName()
          + ": " + e.getOriginalMessage(), e);
    }
  }

  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    for (AsyncStream<?> stream : running) {
      stream.cancel();
    }
    if (ownedExecutor != null) {
      ownedExecutor.shutdownNow();
    }
    http.evictOwned();
  }

  @Override
  public String toString() {
    return "OllamaClient{baseUrl=" + baseUrl + ", credential="
        + (errors.credentialHeader() == null ? "none" : errors.credentialHeader() + " [redacted]") + "}";
  }
}
