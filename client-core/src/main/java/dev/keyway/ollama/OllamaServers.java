package dev.keyway.ollama;

import dev.keyway.ollama.internal.RoutingOllamaClient;
import dev.keyway.ollama.model.ModelSummary;
import dev.keyway.ollama.model.RunningModel;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;

/**
 * One {@link OllamaClient} over several Ollama servers, each with its own base URL and credential.
 *
 * <pre>{@code
 * OllamaServers ollama = OllamaServers.builder()
 *     .server("gpu-1", "https://gpu1.example.com", Credential.apiKey(key1))
 *     .server(OllamaServers.Server.of("gpu-2", "https://gpu2.example.com", Credential.bearer(key2))
 *         .maxConcurrent(4))
 *     .build();
 * ChatResponse reply = ollama.chat(request);            // routed, see below
 * ollama.server("gpu-2").models().pull("llama3.2");    // management names its server
 * }</pre>
 *
 * <h2>Routing</h2>
 * Chat, generate, embed, embeddings and show go to one usable server, chosen in this order: a
 * server where the model is <em>loaded</em> ({@code /api/ps}), then one that <em>has</em> it
 * ({@code /api/tags}), then any; among equals, the one with the fewest calls in flight from this
 * client, then the one declared first. A server is usable while its credential has not been
 * rejected, its last poll reached it, its circuit breaker lets calls through and it is below its
 * {@link Server#maxConcurrent(int) max-concurrent}. What is loaded is polled in the background
 * ({@link Builder#psInterval}) and updated by the answers themselves: a server that answered a
 * chat for a model has it loaded. {@link #sticky(String)} keeps a conversation on one server.
 *
 * <h2>Failover</h2>
 * A connection that could not be opened, or a 429, 502, 503 or 504 answer, moves the call to the
 * next usable server, within {@link Builder#maxAttempts} attempts in all (a call with
 * {@link RequestOptions#maxAttemptsPerServer() maxAttemptsPerServer(1)}, as the gateway's relayed
 * calls, tries each server at most once, the last one included). Nothing is retried once
 * an answer has started: a stream that fails after it opened throws as with one server. A 401 or
 * 403 throws {@link OllamaServerAuthenticationException} naming the server and takes that server
 * out of routing until a poll with its credential succeeds again; it is never retried in a loop.
 *
 * <h2>Credentials</h2>
 * Each server has an ordinary client of its own, built with its base URL and credential, so each
 * credential goes only to its own server's origin, whatever the routing does.
 *
 * <h2>Lifecycle</h2>
 * Thread-safe; create once, share, {@link #close()} when done (stops the background polls and
 * closes every server's client).
 */
public interface OllamaServers extends OllamaClient {

  /** Default of {@link Builder#psInterval}: 10 s. */
  Duration DEFAULT_PS_INTERVAL = Duration.ofSeconds(10);

  /** Default of {@link Builder#tagsInterval}: 60 s. */
  Duration DEFAULT_TAGS_INTERVAL = Duration.ofSeconds(60);

  /** Default of {@link Builder#pollTimeout}: 3 s. */
  Duration DEFAULT_POLL_TIMEOUT = Duration.ofSeconds(3);

  /** Starts a builder; at least one server is required. */
  static Builder builder() {
    return new Builder();
  }

  /**
   * Whether the calling thread is running one of the router's own polls of {@code /api/ps} or
   * {@code /api/tags} (the background ones, or those {@link #refresh()} runs). The polls go through
   * each server's client, so its {@link OllamaCallListener} sees them; a listener is called on the
   * thread that ended the call and a poll is never streamed, so this tells a poll from the
   * application's own calls (the Spring Boot starter keeps polls out of its call metrics with it).
   */
  static boolean isPolling() {
    return RoutingOllamaClient.inPoll();
  }

  /** The servers' names, in the order they were declared. */
  List<String> names();

  /**
   * The client of one server, for calls that name their target: model management, version, web
   * search. It is owned by this object: do not close it, close this object.
   *
   * @throws IllegalArgumentException if no server has this name
   */
  OllamaClient server(String name);

  /**
   * A view of this client that keeps every call with this key on the same server while that
   * server is usable (for a conversation: the server holds its KV cache). Cheap; the view needs
   * no closing.
   */
  OllamaClient sticky(String key);

  /** What the router knows of each server now, in declaration order. */
  List<ServerStatus> status();

  /**
   * Polls {@code /api/ps} and {@code /api/tags} on every server now and waits for the answers
   * (each bounded by {@link Builder#pollTimeout}). The background polls do the same on their own.
   */
  void refresh();

  /**
   * {@code GET /api/tags} on every server, each entry with the server that has it. A server that
   * fails is left out (see {@link #status()}); if every server fails, the first error is thrown.
   */
  List<OnServer<ModelSummary>> listModelsByServer(RequestOptions options);

  /** {@code GET /api/ps} on every server, each entry with its server; failures as above. */
  List<OnServer<RunningModel>> runningByServer(RequestOptions options);

  /**
   * The models of every server, each name once (the first server's entry);
   * {@link #listModelsByServer} says where each one is.
   */
  @Override
  List<ModelSummary> listModels(RequestOptions options);

  /** The loaded models of every server, in server order; a model loaded twice is listed twice. */
  @Override
  List<RunningModel> running(RequestOptions options);

  /**
   * The version of one usable server (with failover): enough to tell whether any server answers.
   * For a given server, use {@code server(name).version()}.
   */
  @Override
  String version(RequestOptions options);

  /**
   * Not routed: model management must name its server.
   *
   * @throws UnsupportedOperationException always; use {@code server(name).models()}
   */
  @Override
  OllamaModels models();

  /** The first server's base URL; {@link ServerStatus#baseUrl()} has each one. */
  @Override
  String baseUrl();

  /**
   * One entry of a merged listing, with the name of the server it came from.
   *
   * @param server the server's configured name
   * @param value what that server reported
   */
  record OnServer<T>(String server, T value) {}

  /**
   * A server as the router sees it.
   *
   * @param name its configured name
   * @param baseUrl its base URL
   * @param usable whether new calls may be routed to it now
   * @param reason why not, when not usable: {@code "credential rejected (401)"}, {@code
   *     "unreachable"}, {@code "circuit open"} or {@code "at max-concurrent"}; empty when usable
   * @param loaded models loaded there, as of the last poll or answer
   * @param installed models it has, as of the last poll
   * @param inFlight calls this client has in flight there (a stream counts until it ends)
   * @param credentialRejected whether it is out of routing because it rejected its credential (401
   *     or 403) and no poll with that credential has succeeded since: asking it again before then
   *     only repeats the refusal. The background polls keep asking, so this clears by itself once
   *     the key is accepted again
   */
  record ServerStatus(
      String name,
      String baseUrl,
      boolean usable,
      String reason,
      Set<String> loaded,
      Set<String> installed,
      int inFlight,
      boolean credentialRejected) {}

  /**
   * One server: a name (for errors, status and {@link #server(String)}; never a secret), a base
   * URL and a credential. Immutable.
   */
  final class Server {
    private final String name;
    private final String baseUrl;
    private final Credential credential;
    private final int maxConcurrent;
    private final @Nullable Consumer<OllamaClient.Builder> configure;

    private Server(String name, String baseUrl, Credential credential, int maxConcurrent,
        @Nullable Consumer<OllamaClient.Builder> configure) {
      this.name = name;
      this.baseUrl = baseUrl;
      this.credential = credential;
      this.maxConcurrent = maxConcurrent;
      this.configure = configure;
    }

    /**
     * A server with no concurrency limit and the client defaults.
     *
     * @throws IllegalArgumentException if the name is blank or the base URL is not one that
     *     {@link OllamaClient.Builder#baseUrl(String)} accepts
     */
    public static Server of(String name, String baseUrl, Credential credential) {
      Objects.requireNonNull(name, "name");
      if (name.isBlank()) {
        throw new IllegalArgumentException("server name is blank");
      }
      OllamaClient.builder().baseUrl(Objects.requireNonNull(baseUrl, "baseUrl")); // fails at once
      return new Server(name.strip(), Objects.requireNonNull(baseUrl, "baseUrl"),
          Objects.requireNonNull(credential, "credential"), 0, null);
    }

    /**
     * Most calls in flight on this server; beyond it the router picks another server, and when
     * every server is full it waits up to {@link Builder#maxConcurrentWait} (default: not at all)
     * before failing with {@link OllamaNoServerException}. Default: no limit.
     */
    public Server maxConcurrent(int maxConcurrent) {
      if (maxConcurrent < 1) {
        throw new IllegalArgumentException("maxConcurrent must be at least 1, was " + maxConcurrent);
      }
      return new Server(name, baseUrl, credential, maxConcurrent, configure);
    }

    /**
     * Further settings of this server's client (timeouts, TLS, a listener, an OkHttp client). The
     * base URL and credential given to {@link #of} are applied after it and cannot be changed here.
     */
    public Server configure(Consumer<OllamaClient.Builder> configure) {
      return new Server(name, baseUrl, credential, maxConcurrent,
          Objects.requireNonNull(configure, "configure"));
    }

    public String name() {
      return name;
    }

    public String baseUrl() {
      return baseUrl;
    }

    /** Zero when unlimited. */
    public int maxConcurrent() {
      return maxConcurrent;
    }

    @Override
    public String toString() {
      return "Server{" + name + ", " + baseUrl + ", " + credential + "}";
    }

    OllamaClient buildClient() {
      OllamaClient.Builder builder = OllamaClient.builder();
      if (configure != null) {
        configure.accept(builder);
      }
      return builder.baseUrl(baseUrl).credential(credential).build();
    }
  }

  /** Configures {@link OllamaServers}. Not thread-safe. */
  final class Builder {
    private final List<Server> servers = new ArrayList<>();
    private Duration psInterval = DEFAULT_PS_INTERVAL;
    private Duration tagsInterval = DEFAULT_TAGS_INTERVAL;
    private Duration pollTimeout = DEFAULT_POLL_TIMEOUT;
    private Duration breakerOpenDuration = Duration.ofSeconds(30);
    private int maxAttempts = 3;
    private Duration maxConcurrentWait = Duration.ZERO;

    Builder() {}

    /** Adds a server; see {@link Server#of}. */
    public Builder server(String name, String baseUrl, Credential credential) {
      return server(Server.of(name, baseUrl, credential));
    }

    /**
     * Adds a server. Declaration order breaks ties in routing.
     *
     * @throws IllegalArgumentException if a server of that name was already added
     */
    public Builder server(Server server) {
      Objects.requireNonNull(server, "server");
      for (Server s : servers) {
        if (s.name.equals(server.name)) {
          throw new IllegalArgumentException("server name used twice: " + server.name);
        }
      }
      servers.add(server);
      return this;
    }

    /** How often each server's {@code /api/ps} (loaded models) is polled. Default 10 s. */
    public Builder psInterval(Duration interval) {
      this.psInterval = RequestOptions.positive("psInterval", interval);
      return this;
    }

    /** How often each server's {@code /api/tags} (installed models) is polled. Default 60 s. */
    public Builder tagsInterval(Duration interval) {
      this.tagsInterval = RequestOptions.positive("tagsInterval", interval);
      return this;
    }

    /** Limit on each poll, so a stuck server cannot hold the poller. Default 3 s. */
    public Builder pollTimeout(Duration timeout) {
      this.pollTimeout = RequestOptions.positive("pollTimeout", timeout);
      return this;
    }

    /** How long a server's open circuit breaker keeps calls away before one probe. Default 30 s. */
    public Builder breakerOpenDuration(Duration duration) {
      this.breakerOpenDuration = RequestOptions.positive("breakerOpenDuration", duration);
      return this;
    }

    /**
     * Attempts per call across servers, the first included (the retry budget). When one usable
     * server is left, its own retry policy spends what remains, up to the call's
     * {@link RequestOptions#maxAttemptsPerServer()} if it set one. Default 3.
     */
    public Builder maxAttempts(int attempts) {
      if (attempts < 1) {
        throw new IllegalArgumentException("maxAttempts must be at least 1, was " + attempts);
      }
      this.maxAttempts = attempts;
      return this;
    }

    /**
     * How long a call may wait when every server it could use is at its
     * {@link Server#maxConcurrent(int) max-concurrent}: it takes the first server that releases a
     * call within this time, else fails with {@link OllamaNoServerException}. A synchronous call
     * waits on its thread (an interrupt ends the wait with {@link OllamaCancelledException}); an
     * asynchronous stream waits without holding a thread. Servers kept away by anything else (a
     * rejected credential, an open breaker) are not waited for. Default zero: fail at once.
     */
    public Builder maxConcurrentWait(Duration wait) {
      Objects.requireNonNull(wait, "maxConcurrentWait");
      if (wait.isNegative()) {
        throw new IllegalArgumentException("maxConcurrentWait must not be negative, was " + wait);
      }
      this.maxConcurrentWait = wait;
      return this;
    }

    /**
     * Builds the client, one {@link OllamaClient} per server, and starts the background polls.
     *
     * @throws IllegalStateException if no server was added
     */
    public OllamaServers build() {
      if (servers.isEmpty()) {
        throw new IllegalStateException("no server: add one with server(name, baseUrl, credential)");
      }
      List<RoutingOllamaClient.Member> members = new ArrayList<>();
      try {
        for (Server s : servers) {
          members.add(new RoutingOllamaClient.Member(s.name, s.buildClient(), s.maxConcurrent));
        }
      } catch (RuntimeException e) {
        members.forEach(m -> m.client().close());
        throw e;
      }
      return RoutingOllamaClient.create(members, new RoutingOllamaClient.Settings(
          psInterval, tagsInterval, pollTimeout, breakerOpenDuration, maxAttempts, maxConcurrentWait));
    }
  }
}
