package dev.keyway.ollama.internal;

import dev.keyway.ollama.OllamaAuthenticationException;
import dev.keyway.ollama.OllamaCancelledException;
import dev.keyway.ollama.OllamaClient;
import dev.keyway.ollama.OllamaException;
import dev.keyway.ollama.OllamaHttpException;
import dev.keyway.ollama.OllamaModelNotFoundException;
import dev.keyway.ollama.OllamaModels;
import dev.keyway.ollama.OllamaServerAuthenticationException;
import dev.keyway.ollama.OllamaServers;
import dev.keyway.ollama.OllamaStream;
import dev.keyway.ollama.OllamaTransportException;
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
import dev.keyway.ollama.model.ModelSummary;
import dev.keyway.ollama.model.RunningModel;
import dev.keyway.ollama.model.ShowResponse;
import dev.keyway.ollama.model.WebFetchResponse;
import dev.keyway.ollama.model.WebSearchResponse;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import java.lang.System.Logger.Level;
import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.Flow;
import java.util.function.Function;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;

/**
 * The {@link OllamaServers} implementation: one ordinary {@link OllamaClient} per server (each
 * with its own base URL, credential and redirect guard), a {@link Router} that picks one per
 * attempt, a circuit breaker per server and a daemon poller for {@code /api/ps} and
 * {@code /api/tags}. A {@link #sticky(String)} view shares all of it and adds its key.
 */
public final class RoutingOllamaClient implements OllamaServers {
  private static final System.Logger LOG = System.getLogger("dev.keyway.ollama");
  private static final AtomicInteger POLLER_THREADS = new AtomicInteger();
  /** Set on a thread while it runs one of the router's own polls; see {@link #inPoll()}. */
  private static final ThreadLocal<Boolean> POLLING = new ThreadLocal<>();

  /** One server, as the public builder hands it over. */
  public record Member(String name, OllamaClient client, int maxConcurrent) {}

  /** The routing settings of {@link OllamaServers.Builder}. */
  public record Settings(Duration psInterval, Duration tagsInterval, Duration pollTimeout,
      Duration breakerOpenDuration, int maxAttempts, Duration maxConcurrentWait) {}

  private final Shared shared;
  private final @Nullable String stickyKey;

  /** What every view of one client shares. */
  private static final class Shared {
    final List<ServerState> servers;
    final Map<String, ServerState> byName;
    final Router router;
    final Settings settings;
    final RequestOptions pollOptions;
    final ScheduledThreadPoolExecutor poller;
    final AtomicBoolean closed = new AtomicBoolean();

    Shared(List<ServerState> servers, Settings settings) {
      this.servers = servers;
      Map<String, ServerState> names = new LinkedHashMap<>();
      servers.forEach(s -> names.put(s.name, s));
      this.byName = names;
      this.router = new Router(servers);
      this.settings = settings;
      this.pollOptions = RequestOptions.builder().callTimeout(settings.pollTimeout())
          .connectTimeout(settings.pollTimeout()).maxAttempts(1).build();
      this.poller = new ScheduledThreadPoolExecutor(Math.min(servers.size(), 4), task -> {
        Thread t = new Thread(task, "keyway-servers-poll-" + POLLER_THREADS.incrementAndGet());
        t.setDaemon(true);
        return t;
      });
      poller.setRemoveOnCancelPolicy(true);
      poller.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
    }
  }

  private RoutingOllamaClient(Shared shared, @Nullable String stickyKey) {
    this.shared = shared;
    this.stickyKey = stickyKey;
  }

  /** Takes ownership of the members' clients and starts polling. */
  public static RoutingOllamaClient create(List<Member> members, Settings settings) {
    CircuitBreakerConfig breakerConfig = CircuitBreakerConfig.custom()
        .slidingWindowType(CircuitBreakerConfig.SlidingWindowType.COUNT_BASED)
        .slidingWindowSize(10)
        .minimumNumberOfCalls(3)
        .failureRateThreshold(50)
        .waitDurationInOpenState(settings.breakerOpenDuration())
        .permittedNumberOfCallsInHalfOpenState(1)
        .build();
    List<ServerState> servers = new ArrayList<>();
    for (Member m : members) {
      servers.add(new ServerState(m.name(), servers.size(), m.client(), m.maxConcurrent(),
          CircuitBreaker.of("ollama-" + m.name(), breakerConfig)));
    }
    Shared shared = new Shared(List.copyOf(servers), settings);
    for (ServerState s : shared.servers) {
      shared.poller.scheduleWithFixedDelay(() -> pollPs(shared, s), 0,
          settings.psInterval().toNanos(), TimeUnit.NANOSECONDS);
      shared.poller.scheduleWithFixedDelay(() -> pollTags(shared, s), 0,
          settings.tagsInterval().toNanos(), TimeUnit.NANOSECONDS);
    }
    return new RoutingOllamaClient(shared, null);
  }

  /** {@code llama3.2} and {@code llama3.2:latest} are the same model; Ollama lists the latter. */
  static String normalize(String model) {
    String m = model.strip();
    int slash = m.lastIndexOf('/');
    return m.indexOf(':', slash + 1) < 0 ? m + ":latest" : m;
  }

  // --- polling -------------------------------------------------------------------------------

  /** Whether the calling thread is inside {@link #pollPs} or {@link #pollTags}. */
  public static boolean inPoll() {
    return POLLING.get() != null;
  }

  private static void pollPs(Shared shared, ServerState s) {
    if (shared.closed.get()) {
      return;
    }
    POLLING.set(Boolean.TRUE);
    try {
      pollPsNow(shared, s);
    } finally {
      POLLING.remove();
    }
  }

  private static void pollPsNow(Shared shared, ServerState s) {
    long ticket = s.psTicket();
    try {
      Set<String> names = new HashSet<>();
      for (RunningModel r : s.client.running(shared.pollOptions)) {
        names.add(normalize(r.name().isEmpty() ? r.model() : r.name()));
      }
      s.polledLoaded(ticket, names);
    } catch (RuntimeException e) {
      if (!shared.closed.get()) { // a poll cut short by close() is not news
        pollFailed(s, e);
      }
    }
  }

  private static void pollTags(Shared shared, ServerState s) {
    if (shared.closed.get()) {
      return;
    }
    POLLING.set(Boolean.TRUE);
    try {
      pollTagsNow(shared, s);
    } finally {
      POLLING.remove();
    }
  }

  private static void pollTagsNow(Shared shared, ServerState s) {
    long ticket = s.tagsTicket();
    try {
      s.polledInstalled(ticket, installedNames(s.client.listModels(shared.pollOptions)));
    } catch (RuntimeException e) {
      if (!shared.closed.get()) {
        pollFailed(s, e);
      }
    }
  }

  private static Set<String> installedNames(List<ModelSummary> models) {
    Set<String> names = new HashSet<>();
    for (ModelSummary m : models) {
      names.add(normalize(m.name().isEmpty() ? m.model() : m.name()));
    }
    return names;
  }

  /**
   * Never throws: an exception would end a scheduled task's repetitions. A 502, 503 or 504 counts
   * as unreachable: it is how a front door (Caddy, nginx) says the Ollama behind it is gone, and
   * nothing a poll asks for is ever "busy" on Ollama itself.
   */
  private static void pollFailed(ServerState s, RuntimeException e) {
    if (e instanceof OllamaAuthenticationException auth) {
      s.rejected(auth.status());
    } else if (e instanceof OllamaTransportException || (e instanceof OllamaHttpException http
        && (http.status() == 502 || http.status() == 503 || http.status() == 504))) {
      s.unreachable();
    } else if (!(e instanceof OllamaException)) {
      LOG.log(Level.WARNING, "Polling server ''{0}'' failed unexpectedly", s.name, e);
    }
  }

  // --- routing and failover ------------------------------------------------------------------

  @FunctionalInterface
  private interface Op<T> {
    T apply(OllamaClient client, RequestOptions options);
  }

  @FunctionalInterface
  private interface AsyncOp<T> {
    StreamHandle<T> open(OllamaClient client, RequestOptions options, StreamHandler<T> handler);
  }

  private int budget(RequestOptions options) {
    Integer asked = options.maxAttempts();
    int max = shared.settings.maxAttempts();
    return asked == null ? max : Math.min(asked, max);
  }

  /**
   * The attempts the picked server may spend: one while others remain, else all that is left,
   * never more than {@link RequestOptions#maxAttemptsPerServer()}.
   */
  private static int attemptsHere(Router.Pick pick, int attempt, int budget, RequestOptions options) {
    int here = pick.othersRemain() && attempt < budget ? 1 : budget - attempt + 1;
    Integer perServer = options.maxAttemptsPerServer();
    return perServer == null ? here : Math.min(here, perServer);
  }

  private static RequestOptions withAttempts(RequestOptions options, int attempts) {
    RequestOptions.Builder b = RequestOptions.builder().maxAttempts(attempts);
    if (options.connectTimeout() != null) {
      b.connectTimeout(options.connectTimeout());
    }
    if (options.readTimeout() != null) {
      b.readTimeout(options.readTimeout());
    }
    if (options.callTimeout() != null) {
      b.callTimeout(options.callTimeout());
    }
    return b.build();
  }

  /** A pick, waiting up to the max-concurrent wait when only full servers are left. */
  private Router.@Nullable Pick acquireWaiting(@Nullable String key, Set<ServerState> tried) {
    try {
      return shared.router.acquire(key, tried, stickyKey, shared.settings.maxConcurrentWait().toNanos());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new OllamaCancelledException(
          "Interrupted while waiting for a server below its max-concurrent", e);
    }
  }

  private void checkOpen() {
    if (shared.closed.get()) {
      throw new IllegalStateException("OllamaServers is closed");
    }
  }

  /**
   * Runs {@code op} on one server after another until one answers, a failure that must not move
   * on is thrown, or the budget is spent. For a stream, the server's in-flight count is released
   * when the stream ends instead of on return.
   */
  private <T> T routed(@Nullable String model, boolean loads, RequestOptions options, Op<T> op,
      boolean stream) {
    checkOpen();
    String key = model == null ? null : normalize(model);
    int budget = budget(options);
    Set<ServerState> tried = new HashSet<>();
    OllamaException last = null;
    for (int attempt = 1; attempt <= budget; attempt++) {
      Router.Pick pick = acquireWaiting(key, tried);
      if (pick == null) {
        break;
      }
      ServerState s = pick.server();
      tried.add(s);
      int here = attemptsHere(pick, attempt, budget, options);
      long start = System.nanoTime();
      boolean held = false;
      try {
        T result = op.apply(s.client, withAttempts(options, here));
        succeeded(s, start, key, loads);
        if (stream) {
          held = true;
          @SuppressWarnings("unchecked")
          T wrapped = (T) (result instanceof PassThroughResponse relayed
              ? new RoutedResponse(relayed, () -> shared.router.release(s))
              : new RoutedStream<>((OllamaStream<?>) result, () -> shared.router.release(s)));
          return wrapped;
        }
        return result;
      } catch (OllamaException e) {
        last = failed(s, start, key, e);
        if (here > 1) {
          break; // that server spent what was left of the budget
        }
      } catch (RuntimeException | Error e) {
        s.breaker.releasePermission();
        throw e;
      } finally {
        if (!held) {
          shared.router.release(s);
        }
      }
    }
    if (last != null) {
      throw last;
    }
    throw shared.router.noServer();
  }

  private static void succeeded(ServerState s, long start, @Nullable String model, boolean loads) {
    s.breaker.onSuccess(System.nanoTime() - start, TimeUnit.NANOSECONDS);
    s.answered();
    if (loads && model != null) {
      s.loadedByAnswer(model);
    }
  }

  /**
   * Records a failed attempt on {@code s}; returns the exception when the call may move to another
   * server, throws it (or the typed exception naming the server) when it must not.
   */
  private static OllamaException failed(ServerState s, long start, @Nullable String model,
      OllamaException e) {
    long nanos = System.nanoTime() - start;
    if (e instanceof OllamaCancelledException) {
      s.breaker.releasePermission();
      throw e;
    }
    if (e instanceof OllamaAuthenticationException auth) {
      s.breaker.onSuccess(nanos, TimeUnit.NANOSECONDS); // it answered: not a breaker matter
      s.rejected(auth.status());
      throw auth instanceof OllamaServerAuthenticationException named
          ? named : new OllamaServerAuthenticationException(s.name, auth);
    }
    if (e instanceof OllamaModelNotFoundException) {
      s.breaker.onSuccess(nanos, TimeUnit.NANOSECONDS);
      if (model != null) {
        s.missing(model);
      }
      throw e;
    }
    if (e instanceof OllamaHttpException http) {
      int status = http.status();
      if (status >= 500) {
        s.breaker.onError(nanos, TimeUnit.NANOSECONDS, e);
      } else {
        s.breaker.onSuccess(nanos, TimeUnit.NANOSECONDS);
      }
      if (status == 429 || status == 502 || status == 503 || status == 504) {
        return e;
      }
      throw e;
    }
    s.breaker.onError(nanos, TimeUnit.NANOSECONDS, e);
    if (e instanceof OllamaTransportException && neverConnected(e.getCause())) {
      s.unreachable();
      return e;
    }
    throw e;
  }

  /**
   * Whether the connection was never established, so the server cannot have seen the request.
   * Other transport failures (a drop or a read timeout after the request was sent) do not move the
   * call: the server may have started to answer it.
   */
  private static boolean neverConnected(@Nullable Throwable cause) {
    return cause instanceof ConnectException
        || cause instanceof NoRouteToHostException
        || cause instanceof UnknownHostException
        || cause instanceof HttpErrors.ConnectTimeoutException;
  }

  private <T> StreamHandle<T> routedAsync(String model, RequestOptions options,
      StreamHandler<T> handler, AsyncOp<T> op) {
    checkOpen();
    AsyncRun<T> run = new AsyncRun<>(normalize(model), options, handler, op);
    run.next(null);
    return run;
  }

  /**
   * An asynchronous stream that moves to the next server when its attempt fails before the first
   * chunk in a way {@link #failed} allows; after the first chunk, errors reach the handler as they
   * are.
   */
  private final class AsyncRun<T> implements StreamHandle<T> {
    private final String model;
    private final RequestOptions options;
    private final StreamHandler<T> handler;
    private final AsyncOp<T> op;
    private final int budget;
    private final Set<ServerState> tried = ConcurrentHashMap.newKeySet();
    private final CompletableFuture<T> future = new CompletableFuture<>();
    private volatile @Nullable StreamHandle<T> current;
    private volatile boolean cancelled;
    private volatile int attempt;
    /** When a wait for a server below its max-concurrent ends ({@code System.nanoTime()}); 0 before. */
    private volatile long waitDeadline;

    AsyncRun(String model, RequestOptions options, StreamHandler<T> handler, AsyncOp<T> op) {
      this.model = model;
      this.options = options;
      this.handler = handler;
      this.op = op;
      this.budget = budget(options);
    }

    /** Starts the next attempt; attempts are sequential, so {@code attempt} has one writer. */
    void next(@Nullable OllamaException last) {
      start(++attempt, last);
    }

    /**
     * Starts attempt {@code n}. When only servers at their max-concurrent are left, waits for a
     * release without holding a thread: the next release (or the end of the wait) starts it again.
     */
    private void start(int n, @Nullable OllamaException last) {
      Router.Pick pick = n <= budget && !cancelled ? shared.router.acquire(model, tried, stickyKey) : null;
      if (pick == null && n <= budget && !cancelled && waitForRelease(n, last)) {
        return;
      }
      if (pick == null) {
        failWaiting(last);
        return;
      }
      ServerState s = pick.server();
      tried.add(s);
      int here = attemptsHere(pick, n, budget, options);
      long start = System.nanoTime();
      AtomicBoolean released = new AtomicBoolean();
      Runnable release = () -> {
        if (released.compareAndSet(false, true)) {
          shared.router.release(s);
        }
      };
      AtomicBoolean reported = new AtomicBoolean();
      AtomicBoolean superseded = new AtomicBoolean();
      AtomicReference<@Nullable OllamaException> failure = new AtomicReference<>();
      StreamHandler<T> wrapped = new StreamHandler<>() {
        @Override
        public void onNext(T chunk) {
          if (reported.compareAndSet(false, true)) {
            succeeded(s, start, model, true);
          }
          handler.onNext(chunk);
        }

        @Override
        public void onComplete(T result) {
          if (reported.compareAndSet(false, true)) {
            succeeded(s, start, model, true);
          }
          release.run();
          handler.onComplete(result);
        }

        @Override
        public void onError(OllamaException error) {
          release.run();
          OllamaException toCaller = error;
          if (reported.compareAndSet(false, true)) {
            try {
              OllamaException movable = failed(s, start, model, error);
              if (here == 1 && !cancelled) {
                superseded.set(true);
                next(movable);
                return;
              }
            } catch (OllamaException thrown) {
              toCaller = thrown;
            }
          }
          failure.set(toCaller);
          handler.onError(toCaller);
        }
      };
      StreamHandle<T> handle;
      try {
        handle = op.open(s.client, withAttempts(options, here), wrapped);
      } catch (RuntimeException e) {
        release.run();
        s.breaker.releasePermission();
        future.completeExceptionally(e);
        throw e;
      }
      current = handle;
      handle.future().whenComplete((result, error) -> {
        release.run();
        if (reported.compareAndSet(false, true)) {
          s.breaker.releasePermission(); // cancelled before it started: no outcome to record
        }
        if (superseded.get()) {
          return;
        }
        if (error == null) {
          future.complete(result);
        } else {
          OllamaException mapped = failure.get();
          Throwable cause = error instanceof CompletionException && error.getCause() != null
              ? error.getCause() : error;
          future.completeExceptionally(mapped != null && mapped != cause ? mapped : cause);
        }
      });
      if (cancelled) {
        handle.cancel();
      }
    }

    /** Whether attempt {@code n} will be started again on a release or at the end of the wait. */
    private boolean waitForRelease(int n, @Nullable OllamaException last) {
      long wait = shared.settings.maxConcurrentWait().toNanos();
      if (wait <= 0 || !shared.router.onlyFull(tried)) {
        return false;
      }
      long now = System.nanoTime();
      if (waitDeadline == 0) {
        waitDeadline = now + wait;
      }
      long left = waitDeadline - now;
      if (left <= 0) {
        return false;
      }
      AtomicBoolean fired = new AtomicBoolean();
      Runnable again = () -> {
        if (fired.compareAndSet(false, true)) {
          try {
            shared.poller.execute(() -> start(n, last));
          } catch (RejectedExecutionException closed) {
            failWaiting(last);
          }
        }
      };
      try {
        shared.poller.schedule(again, left, TimeUnit.NANOSECONDS);
      } catch (RejectedExecutionException closed) {
        return false;
      }
      shared.router.onRelease(again);
      if (!shared.router.onlyFull(tried)) {
        again.run(); // a call ended between the pick and the registration
      }
      return true;
    }

    /** Ends the call with {@code last}, or the typed "no server" error. */
    private void failWaiting(@Nullable OllamaException last) {
      OllamaException error = last != null ? last : shared.router.noServer();
      if (!cancelled) {
        try {
          handler.onError(error);
        } catch (RuntimeException ignored) {
          LOG.log(Level.WARNING, "StreamHandler.onError threw; ignored", ignored);
        }
      }
      future.completeExceptionally(error);
    }

    @Override
    public void cancel() {
      if (future.isDone()) {
        return;
      }
      cancelled = true;
      StreamHandle<T> h = current;
      if (h != null) {
        h.cancel();
      }
      future.cancel(false);
    }

    @Override
    public boolean isDone() {
      return future.isDone();
    }

    @Override
    public CompletableFuture<T> future() {
      return future;
    }
  }

  // --- OllamaClient ---------------------------------------------------------------------------

  @Override
  public ChatResponse chat(ChatRequest request, RequestOptions options) {
    return routed(request.model(), true, options, (c, o) -> c.chat(request, o), false);
  }

  @Override
  public OllamaStream<ChatResponse> chatStream(ChatRequest request, RequestOptions options) {
    return routed(request.model(), true, options, (c, o) -> c.chatStream(request, o), true);
  }

  @Override
  public StreamHandle<ChatResponse> chatStream(ChatRequest request, RequestOptions options,
      StreamHandler<ChatResponse> handler) {
    return routedAsync(request.model(), options, handler, (c, o, h) -> c.chatStream(request, o, h));
  }

  @Override
  public GenerateResponse generate(GenerateRequest request, RequestOptions options) {
    return routed(request.model(), true, options, (c, o) -> c.generate(request, o), false);
  }

  @Override
  public OllamaStream<GenerateResponse> generateStream(GenerateRequest request, RequestOptions options) {
    return routed(request.model(), true, options, (c, o) -> c.generateStream(request, o), true);
  }

  @Override
  public StreamHandle<GenerateResponse> generateStream(GenerateRequest request,
      RequestOptions options, StreamHandler<GenerateResponse> handler) {
    return routedAsync(request.model(), options, handler,
        (c, o, h) -> c.generateStream(request, o, h));
  }

  @Override
  public EmbedResponse embed(EmbedRequest request, RequestOptions options) {
    return routed(request.model(), true, options, (c, o) -> c.embed(request, o), false);
  }

  @Override
  public double[] embeddings(EmbeddingsRequest request, RequestOptions options) {
    return routed(request.model(), true, options, (c, o) -> c.embeddings(request, o), false);
  }

  @Override
  public ShowResponse show(String model, RequestOptions options) {
    return routed(model, false, options, (c, o) -> c.show(model, o), false);
  }

  @Override
  public ShowResponse showVerbose(String model, RequestOptions options) {
    return routed(model, false, options, (c, o) -> c.showVerbose(model, o), false);
  }

  @Override
  public String version(RequestOptions options) {
    return routed(null, false, options, OllamaClient::version, false);
  }

  /**
   * Routed by {@link PassThroughRequest#model()} when the relay set it (else to any usable server),
   * with failover before the answer; the server's in-flight count is held until the answer is
   * closed, so a relayed stream counts as long as it runs.
   */
  @Override
  public PassThroughResponse passThrough(PassThroughRequest request) {
    String path = request.path();
    boolean loads = path.equals("api/chat") || path.equals("api/generate")
        || path.equals("api/embed") || path.equals("api/embeddings");
    return routed(request.model(), loads, request.options(),
        (c, o) -> c.passThrough(request.options(o)), true);
  }

  @Override
  public List<OnServer<ModelSummary>> listModelsByServer(RequestOptions options) {
    return eachServer(s -> {
      long ticket = s.tagsTicket();
      List<ModelSummary> models = s.client.listModels(options);
      s.polledInstalled(ticket, installedNames(models));
      return models;
    });
  }

  @Override
  public List<OnServer<RunningModel>> runningByServer(RequestOptions options) {
    return eachServer(s -> {
      long ticket = s.psTicket();
      List<RunningModel> models = s.client.running(options);
      Set<String> names = new HashSet<>();
      models.forEach(r -> names.add(normalize(r.name().isEmpty() ? r.model() : r.name())));
      s.polledLoaded(ticket, names);
      return models;
    });
  }

  /**
   * Asks every server with {@code listing} (which also records what it learnt), each entry tagged
   * with its server; a server that fails counts as a failed poll. Throws the first failure only
   * when no server answered.
   */
  private <T> List<OnServer<T>> eachServer(Function<ServerState, List<T>> listing) {
    checkOpen();
    List<OnServer<T>> out = new ArrayList<>();
    OllamaException first = null;
    boolean any = false;
    for (ServerState s : shared.servers) {
      try {
        listing.apply(s).forEach(m -> out.add(new OnServer<>(s.name, m)));
        any = true;
      } catch (OllamaException e) {
        pollFailed(s, e);
        first = first == null ? e : first;
      }
    }
    if (!any && first != null) {
      throw first;
    }
    return List.copyOf(out);
  }

  @Override
  public List<ModelSummary> listModels(RequestOptions options) {
    Map<String, ModelSummary> byName = new LinkedHashMap<>();
    for (OnServer<ModelSummary> m : listModelsByServer(options)) {
      byName.putIfAbsent(m.value().name(), m.value());
    }
    return List.copyOf(byName.values());
  }

  @Override
  public List<RunningModel> running(RequestOptions options) {
    return runningByServer(options).stream().map(OnServer::value).toList();
  }

  @Override
  public OllamaModels models() {
    throw new UnsupportedOperationException(
        "Model management names its server: use server(name).models(), names: " + names());
  }

  @Override
  public WebSearchResponse webSearch(String query, int maxResults, RequestOptions options) {
    throw new UnsupportedOperationException(
        "Web search names its server: use server(name).webSearch(…), names: " + names());
  }

  @Override
  public WebFetchResponse webFetch(String url, RequestOptions options) {
    throw new UnsupportedOperationException(
        "Web fetch names its server: use server(name).webFetch(…), names: " + names());
  }

  @Override
  public <T> Flow.Publisher<T> publisher(Supplier<OllamaStream<T>> open) {
    return shared.servers.get(0).client.publisher(open);
  }

  @Override
  public String baseUrl() {
    return shared.servers.get(0).client.baseUrl();
  }

  // --- OllamaServers --------------------------------------------------------------------------

  @Override
  public List<String> names() {
    return List.copyOf(shared.byName.keySet());
  }

  @Override
  public OllamaClient server(String name) {
    ServerState s = shared.byName.get(name);
    if (s == null) {
      throw new IllegalArgumentException("no server named '" + name + "'; names: " + names());
    }
    return s.client;
  }

  @Override
  public OllamaClient sticky(String key) {
    if (key == null || key.isEmpty()) {
      throw new IllegalArgumentException("sticky key is empty");
    }
    return new RoutingOllamaClient(shared, key);
  }

  @Override
  public List<ServerStatus> status() {
    return shared.servers.stream().map(ServerState::status).toList();
  }

  @Override
  public void refresh() {
    checkOpen();
    for (ServerState s : shared.servers) {
      pollPs(shared, s);
      pollTags(shared, s);
    }
  }

  /** Stops the polls and closes every server's client; a sticky view's close does nothing. */
  @Override
  public void close() {
    if (stickyKey != null || !shared.closed.compareAndSet(false, true)) {
      return;
    }
    shared.poller.shutdownNow();
    for (ServerState s : shared.servers) {
      try {
        s.client.close();
      } catch (RuntimeException e) {
        LOG.log(Level.WARNING, "Closing the client of server ''{0}'' failed", s.name, e);
      }
    }
  }

  @Override
  public String toString() {
    return "OllamaServers" + names() + (stickyKey == null ? "" : " (sticky view)");
  }
}
