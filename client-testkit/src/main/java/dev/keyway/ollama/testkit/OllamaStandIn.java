package dev.keyway.ollama.testkit;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.jspecify.annotations.Nullable;

/**
 * An Ollama stand-in: a small HTTP/1.1 server on {@code 127.0.0.1} that answers like Ollama for
 * scripted models. For tests, benchmarks and demos.
 *
 * <pre>{@code
 * try (OllamaStandIn ollama = OllamaStandIn.builder()
 *     .model(ScriptedModel.named("llama3.2").answer("Hi there!"))
 *     .requireApiKey("secret")
 *     .build()) {
 *   // point the client at ollama.baseUrl() ...
 *   RecordedRequest request = ollama.takeRequest();
 * }
 * }</pre>
 *
 * <h2>What it serves</h2>
 *
 * Ollama's whole native API, with its field names, field order, JSON escaping, status codes and
 * error bodies:
 *
 * <ul>
 *   <li>{@code GET|HEAD /}, {@code GET|HEAD /api/version}, {@code GET|HEAD /api/tags}, {@code GET
 *       /api/ps} (models a chat, generate or embed request loaded, until their {@code keep_alive}
 *       runs out; {@code keep_alive} 0 unloads);
 *   <li>{@code POST /api/chat}, {@code POST /api/generate} (scripted answers, {@link Fault faults}),
 *       {@code POST /api/embed} and the legacy {@code POST /api/embeddings} (deterministic vectors
 *       derived from the text, see {@link ScriptedModel#embeddingLength});
 *   <li>{@code POST /api/show}, {@code POST /api/pull}, {@code POST /api/push}, {@code POST
 *       /api/create}, {@code POST /api/copy}, {@code DELETE /api/delete}, {@code HEAD|POST
 *       /api/blobs/:digest}. Pull, create and copy add models (then served with the defaults of
 *       {@link ScriptedModel#named}, or the source's script), delete removes them. Pulling a model
 *       whose name starts with {@code does-not-exist} fails as Ollama does for an unknown model
 *       ({@code pull model manifest: file does not exist}). Blob uploads are hashed as they
 *       stream in and never held in memory ({@link #hasBlob}, {@link #blobBytesReceived});
 *   <li>{@code POST /api/web_search} and {@code POST /api/web_fetch} (ollama.com's paths) and
 *       {@code POST /api/experimental/web_search|web_fetch} (a signed-in local server's): canned
 *       results built from the request.
 * </ul>
 *
 * Chat, generate, pull, push and create stream NDJSON ({@code Transfer-Encoding: chunked}, one
 * HTTP chunk per line, flushed at once) unless the request says {@code "stream":false}. Unknown
 * paths get gin's {@code 404 page not found}, a known path with the wrong method {@code 405 method
 * not allowed} (both {@code text/plain}). The credential check ({@link Builder#requireCredential})
 * comes before all of it. Connections are kept alive unless the client sends {@code Connection:
 * close}; request bodies may be chunked.
 *
 * <h2>Lifecycle and threading</h2>
 *
 * {@link Builder#build()} returns a server that is already listening. It is thread-safe: each
 * connection has its own daemon thread ({@code keyway-standin-N}). {@link #close()} stops
 * accepting, closes every open connection and waits for its threads to end; it is idempotent.
 */
public final class OllamaStandIn implements AutoCloseable {
  private static final System.Logger LOG = System.getLogger(OllamaStandIn.class.getName());
  private static final AtomicInteger THREAD_NUMBER = new AtomicInteger();
  private static final Duration DEFAULT_TAKE_TIMEOUT = Duration.ofSeconds(10);
  private static final Duration CLOSE_TIMEOUT = Duration.ofSeconds(5);

  private final ServerSocket serverSocket;
  private final ExecutorService pool;
  private final List<Thread> threads = Collections.synchronizedList(new ArrayList<>());
  private final Set<Socket> openSockets = ConcurrentHashMap.newKeySet();
  private final ModelStore store;
  private final OllamaRoutes routes;
  private final boolean recordRequests;
  private final List<RecordedRequest> recorded = Collections.synchronizedList(new ArrayList<>());
  private final LinkedBlockingQueue<RecordedRequest> untaken = new LinkedBlockingQueue<>();
  private final AtomicInteger requestCount = new AtomicInteger();
  /** Queued faults, each with the uses it has left. */
  private final Deque<QueuedFault> faults = new ArrayDeque<>();
  private final Object disconnectLock = new Object();
  private int disconnects;
  private volatile boolean closed;

  private OllamaStandIn(Builder builder) {
    List<ScriptedModel> models = new ArrayList<>(builder.models.values());
    if (models.isEmpty()) {
      models.add(ScriptedModel.named("llama3.2"));
    }
    this.store = new ModelStore(models, OffsetDateTime.now());
    this.routes =
        new OllamaRoutes(store, List.copyOf(builder.credentials), builder.version, this::takeFault);
    this.recordRequests = builder.recordRequests;
    try {
      ServerSocket socket = new ServerSocket();
      socket.setReuseAddress(true);
      socket.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), builder.port), 128);
      this.serverSocket = socket;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot listen on 127.0.0.1:" + builder.port, e);
    }
    this.pool =
        Executors.newCachedThreadPool(
            task -> {
              Thread thread = new Thread(task, "keyway-standin-" + THREAD_NUMBER.incrementAndGet());
              thread.setDaemon(true);
              threads.removeIf(t -> !t.isAlive());
              threads.add(thread);
              return thread;
            });
    pool.execute(this::acceptConnections);
  }

  /** A builder; {@link Builder#build()} starts the server. */
  public static Builder builder() {
    return new Builder();
  }

  /** {@code http://127.0.0.1:PORT}, without a trailing slash. */
  public String baseUrl() {
    return "http://127.0.0.1:" + port();
  }

  /** The port the server listens on. */
  public int port() {
    return serverSocket.getLocalPort();
  }

  /**
   * Every request received so far, in arrival order (a snapshot). Unaffected by {@link
   * #takeRequest()}. Empty when the builder turned recording off.
   */
  public List<RecordedRequest> requests() {
    synchronized (recorded) {
      return List.copyOf(recorded);
    }
  }

  /**
   * The oldest request not yet taken, waiting up to 10 seconds for one.
   *
   * @throws IllegalStateException if none arrives in time
   */
  public RecordedRequest takeRequest() {
    RecordedRequest request = takeRequest(DEFAULT_TAKE_TIMEOUT);
    if (request == null) {
      throw new IllegalStateException("no request within " + DEFAULT_TAKE_TIMEOUT.toSeconds() + "s");
    }
    return request;
  }

  /** The oldest request not yet taken, waiting up to {@code timeout}; null if none came. */
  public @Nullable RecordedRequest takeRequest(Duration timeout) {
    try {
      return untaken.poll(timeout.toNanos(), TimeUnit.NANOSECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while waiting for a request", e);
    }
  }

  /** How many requests were received (counted even when recording is off). */
  public int requestCount() {
    return requestCount.get();
  }

  /**
   * How many responses were abandoned by their client: the client closed the connection, or a
   * write failed, before the last byte (typically mid-stream, or during a delay). Drops the
   * stand-in makes itself ({@link Fault#dropAfter}) do not count.
   */
  public int disconnects() {
    synchronized (disconnectLock) {
      return disconnects;
    }
  }

  /** Waits until {@link #disconnects()} is at least 1; false if {@code timeout} passes first. */
  public boolean awaitDisconnect(Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    synchronized (disconnectLock) {
      while (disconnects == 0) {
        long remaining = deadline - System.nanoTime();
        if (remaining <= 0) {
          return false;
        }
        try {
          TimeUnit.NANOSECONDS.timedWait(disconnectLock, remaining);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return disconnects > 0;
        }
      }
      return true;
    }
  }

  /**
   * Whether a blob with this digest was uploaded ({@code sha256:<hex>} or {@code sha256-<hex>}, as
   * Ollama accepts both); false for a malformed digest.
   */
  public boolean hasBlob(String digest) {
    return digest != null && store.hasBlob(digest);
  }

  /**
   * How many body bytes the stand-in read, and hashed, for the stored blob with this digest; -1
   * when there is none. Uploads stream through a digest in small buffers, so a large blob proves
   * the client streamed it without the stand-in ever holding it (its {@link RecordedRequest} has
   * an empty body).
   */
  public long blobBytesReceived(String digest) {
    return digest == null ? -1 : store.blobSize(digest);
  }

  /**
   * Queues a one-shot fault for the next chat or generate request(s); see {@link Fault} for the
   * rules. Faults are taken first in, first out.
   */
  public void enqueue(Fault fault) {
    if (fault == null) {
      throw new IllegalArgumentException("fault is null");
    }
    synchronized (faults) {
      faults.addLast(new QueuedFault(fault));
    }
  }

  /**
   * Stops accepting, closes every open connection (streams in progress end abruptly) and waits for
   * the server's threads to finish. Idempotent.
   */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    closeQuietly(serverSocket);
    for (Socket socket : openSockets) {
      closeQuietly(socket);
    }
    pool.shutdownNow();
    long deadline = System.nanoTime() + CLOSE_TIMEOUT.toNanos();
    try {
      pool.awaitTermination(CLOSE_TIMEOUT.toNanos(), TimeUnit.NANOSECONDS);
      List<Thread> toJoin;
      synchronized (threads) {
        toJoin = new ArrayList<>(threads);
      }
      for (Thread thread : toJoin) {
        long remainingMillis = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
        thread.join(Math.max(1, remainingMillis));
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  @Override
  public String toString() {
    return "OllamaStandIn{" + baseUrl() + (closed ? ", closed" : "") + "}";
  }

  // --- the server ----------------------------------------------------------------------------

  private void acceptConnections() {
    int connectionIndex = 0;
    while (!closed) {
      Socket socket;
      try {
        socket = serverSocket.accept();
      } catch (IOException e) {
        if (closed) {
          return;
        }
        continue; // a failed accept (e.g. the peer reset at once) does not stop the server
      }
      openSockets.add(socket);
      if (closed) {
        forget(socket);
        return;
      }
      int index = connectionIndex++;
      try {
        pool.execute(() -> serve(socket, index));
      } catch (RejectedExecutionException e) {
        forget(socket);
        return;
      }
    }
  }

  /** One connection: requests in turn until the client or the stand-in ends it. */
  private void serve(Socket socket, int connectionIndex) {
    try {
      socket.setTcpNoDelay(true); // each NDJSON line leaves when it is flushed
      InputStream in = new BufferedInputStream(socket.getInputStream());
      OutputStream out = new BufferedOutputStream(socket.getOutputStream());
      for (int index = 0; !closed; index++) {
        Http1.Request request;
        try {
          request = Http1.read(in, out, OllamaRoutes::streamsBody);
        } catch (Http1.BadRequestException e) {
          out.write(Http1.head(400, List.of(new String[] {"Content-Type", "text/plain; charset=utf-8"},
              new String[] {"Content-Length", "15"}, new String[] {"Connection", "close"})));
          out.write("400 Bad Request".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
          out.flush();
          return;
        }
        if (request == null) {
          return;
        }
        record(new RecordedRequest(request, Instant.now(), connectionIndex, index));
        Exchange exchange = new Exchange(request, socket, in, out);
        try {
          routes.handle(exchange);
        } catch (Http1.BadRequestException e) {
          exchange.badRequest(); // a streamed body the route was reading
          return;
        } catch (IOException e) {
          if (!closed && !exchange.aborted()) {
            clientWentAway();
          }
          return;
        } catch (RuntimeException e) {
          LOG.log(System.Logger.Level.WARNING, "stand-in failed on " + request.method + " " + request.path, e);
          exchange.internalError(e);
          return;
        }
        if (!exchange.keepAlive()) {
          return;
        }
        if (request.streamedBody != null) {
          request.streamedBody.drain(); // whatever the route left unread, before the next request
        }
      }
    } catch (IOException e) {
      // the connection is over
    } finally {
      forget(socket);
    }
  }

  private void record(RecordedRequest request) {
    requestCount.incrementAndGet();
    if (recordRequests) {
      recorded.add(request);
      untaken.add(request);
    }
  }

  private @Nullable Fault takeFault() {
    synchronized (faults) {
      QueuedFault head = faults.peekFirst();
      if (head == null) {
        return null;
      }
      if (--head.usesLeft == 0) {
        faults.removeFirst();
      }
      return head.fault;
    }
  }

  private static final class QueuedFault {
    final Fault fault;
    int usesLeft;

    QueuedFault(Fault fault) {
      this.fault = fault;
      this.usesLeft = fault.times;
    }
  }

  private void clientWentAway() {
    synchronized (disconnectLock) {
      disconnects++;
      disconnectLock.notifyAll();
    }
  }

  private void forget(Socket socket) {
    closeQuietly(socket);
    openSockets.remove(socket);
  }

  private static void closeQuietly(AutoCloseable closeable) {
    try {
      closeable.close();
    } catch (Exception ignored) {
      // closing anyway
    }
  }

  /**
   * Configures a stand-in. Not thread-safe; {@link #build()} may be called more than once, each
   * time starting a new server.
   */
  public static final class Builder {
    private final Map<String, ScriptedModel> models = new LinkedHashMap<>();
    private final List<String[]> credentials = new ArrayList<>();
    private String version = "0.33.0";
    private int port;
    private boolean recordRequests = true;

    private Builder() {}

    /**
     * Serves this model (repeatable; listed in {@code /api/tags} in this order, after any model
     * pulled, created or copied later, as Ollama lists the most recently modified first). Without
     * any, the stand-in serves {@code llama3.2} with a short friendly answer of about a dozen
     * tokens.
     *
     * @throws IllegalArgumentException if a model of that name was already added
     */
    public Builder model(ScriptedModel model) {
      if (model == null) {
        throw new IllegalArgumentException("model is null");
      }
      if (models.putIfAbsent(model.listedName(), model) != null) {
        throw new IllegalArgumentException("model already added: " + model.listedName());
      }
      return this;
    }

    /**
     * Requires header {@code headerName} (any case) with exactly {@code exactValue} on every
     * request, on every path; otherwise the answer is 401 {@code text/plain} {@code Unauthorized},
     * as a reverse proxy in front of Ollama would send. Each call adds a requirement; all must hold.
     */
    public Builder requireCredential(String headerName, String exactValue) {
      if (headerName == null || headerName.isBlank() || exactValue == null) {
        throw new IllegalArgumentException("header name and value are required");
      }
      credentials.add(new String[] {headerName.strip(), exactValue});
      return this;
    }

    /** Requires {@code X-API-Key: key}; see {@link #requireCredential}. */
    public Builder requireApiKey(String key) {
      return requireCredential("X-API-Key", key);
    }

    /** Requires {@code Authorization: Bearer token}; see {@link #requireCredential}. */
    public Builder requireBearer(String token) {
      return requireCredential("Authorization", "Bearer " + token);
    }

    /** What {@code /api/version} reports; default {@code 0.33.0}. */
    public Builder version(String version) {
      if (version == null || version.isBlank()) {
        throw new IllegalArgumentException("version is blank");
      }
      this.version = version;
      return this;
    }

    /** The port to listen on; default 0, any free port. */
    public Builder port(int port) {
      if (port < 0 || port > 65_535) {
        throw new IllegalArgumentException("port out of range: " + port);
      }
      this.port = port;
      return this;
    }

    /**
     * Whether to keep every request for {@link #requests()} and {@link #takeRequest()}; default
     * true. Turn it off for long benchmarks, so memory stays flat.
     */
    public Builder recordRequests(boolean recordRequests) {
      this.recordRequests = recordRequests;
      return this;
    }

    /**
     * Starts a stand-in with this configuration, listening when this returns.
     *
     * @throws UncheckedIOException if the port cannot be bound
     */
    public OllamaStandIn build() {
      return new OllamaStandIn(this);
    }
  }
}
