package dev.keyway.ollama.internal;

import com.fasterxml.jackson.databind.JsonNode;
import dev.keyway.ollama.OllamaCallObserver;
import dev.keyway.ollama.OllamaCancelledException;
import dev.keyway.ollama.OllamaException;
import dev.keyway.ollama.OllamaProtocolException;
import dev.keyway.ollama.RequestOptions;
import io.github.resilience4j.retry.Retry;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import okhttp3.Call;
import okhttp3.HttpUrl;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;
import okio.BufferedSource;
import org.jspecify.annotations.Nullable;

/**
 * The client's engine room: builds requests for the base URL, executes them with the retry
 * policy (the redirect guard and per-call timeouts included) and decodes unary answers. Every
 * endpoint of {@link DefaultOllamaClient} and its pass-through go through here.
 *
 * <p>Requests ask for {@code Accept-Encoding: identity}: Ollama does not compress, and a proxy
 * that would (or a hostile one sending a small gzip that inflates a thousandfold) must not make
 * the client hold more than what was sent.
 */
final class Transport {
  private static final System.Logger LOG = System.getLogger("dev.keyway.ollama");
  private static final MediaType JSON = MediaType.get("application/json");
  static final String NDJSON = "application/x-ndjson";
  private static final int MAX_EXCERPT_BYTES = 8 * 1024;

  private final HttpUrl baseUrl;
  private final Pools http;
  private final Retry retry;
  private final HttpErrors errors;
  private final Redactor redactor;
  private final AtomicBoolean closed;
  private final long maxAnswerSize;

  Transport(HttpUrl baseUrl, Pools http, Retry retry, HttpErrors errors, Redactor redactor,
      AtomicBoolean closed, long maxAnswerSize) {
    this.maxAnswerSize = maxAnswerSize;
    this.baseUrl = baseUrl;
    this.http = http;
    this.retry = retry;
    this.errors = errors;
    this.redactor = redactor;
    this.closed = closed;
  }

  <T> T unary(Request request, RequestOptions options, Class<T> type, CallTracker tracker) {
    try (Response response = execute(request, options, new Cancellation(), tracker).response()) {
      byte[] bytes;
      try {
        // Never more than maxAnswerSize in memory, whatever Content-Length says or omits.
        BufferedSource source = response.body().source();
        if (response.body().contentLength() > maxAnswerSize || source.request(maxAnswerSize + 1)) {
          throw new OllamaProtocolException("The answer from " + HttpErrors.describe(request)
              + " is larger than maxAnswerSize (" + maxAnswerSize + " bytes); raise"
              + " OllamaClient.Builder.maxAnswerSize if the server is right to send that much.", null);
        }
        bytes = source.readByteArray();
      } catch (IOException e) {
        throw errors.fromIo(e, request, "while reading the answer", false);
      }
      return decodeUnary(request, response, bytes, type);
    } catch (RuntimeException e) {
      tracker.failure(e);
      throw e;
    }
  }

  private <T> T decodeUnary(Request request, Response response, byte[] bytes, Class<T> type) {
    try {
      JsonNode node = Json.MAPPER.readTree(bytes);
      if (node == null || !node.isObject()) {
        throw new IOException("not a JSON object");
      }
      JsonNode error = node.get("error");
      if (error != null && !error.isNull()) {
        String text = errors.quoteText(error.asText());
        throw new OllamaProtocolException("Server reported an error for "
            + HttpErrors.describe(request) + " with status " + response.code() + ": " + text, null);
      }
      return type == JsonNode.class ? type.cast(node) : Json.MAPPER.treeToValue(node, type);
    } catch (IOException e) {
      String contentType = response.header("Content-Type", "no content type");
      String start = new String(bytes, 0, Math.min(bytes.length, MAX_EXCERPT_BYTES), StandardCharsets.UTF_8);
      if (bytes.length > MAX_EXCERPT_BYTES) {
        start = redactor.redactCutEnd(start);
      }
      String excerpt = errors.quoteText(HttpErrors.serverMessage(start, false));
      throw new OllamaProtocolException("Expected a JSON answer from " + HttpErrors.describe(request)
          + " but got " + contentType + ": " + excerpt
          + " (is the base URL an Ollama server? A proxy's login page or a wrong path answers"
          + " like this)", e);
    }
  }

  /**
   * Executes with retries until a 2xx response arrives. Nothing is retried after this returns: the
   * body is the caller's.
   */
  DefaultOllamaClient.Exchange execute(
      Request request, RequestOptions options, Cancellation cancellation, CallTracker tracker) {
    try {
      if (closed.get()) {
        throw new IllegalStateException("OllamaClient is closed");
      }
      tracker.begin();
      return executeWithRetries(request, options, cancellation, tracker);
    } catch (RuntimeException e) {
      tracker.failure(e);
      throw e;
    }
  }

  private DefaultOllamaClient.Exchange executeWithRetries(
      Request request, RequestOptions options, Cancellation cancellation, CallTracker tracker) {
    if (closed.get()) {
      throw new IllegalStateException("OllamaClient is closed");
    }
    OkHttpClient client = forOptions(options);
    Retry.Context<Object> context = retry.context();
    int attempts = 0;
    while (true) {
      if (cancellation.isCancelled()) {
        throw new OllamaCancelledException(
            "Call to " + HttpErrors.describe(request) + " was cancelled", null);
      }
      Attempt attempt = new Attempt();
      Request.Builder attemptRequest = request.newBuilder().tag(Attempt.class, attempt);
      OllamaCallObserver.UpstreamHeaders headers = tracker.headers();
      if (headers != null) {
        attemptRequest.tag(OllamaCallObserver.UpstreamHeaders.class, headers);
      }
      Call call = client.newCall(attemptRequest.build());
      cancellation.attach(call);
      long start = System.nanoTime();
      OllamaException failure;
      try {
        Response response = call.execute();
        logCall(request, response.code(), start);
        tracker.status(response.code());
        if (response.isSuccessful()) {
          context.onComplete();
          return new DefaultOllamaClient.Exchange(call, response, client.readTimeoutMillis(), attempt.held);
        }
        if (response.isRedirect()) {
          failure = redirectRefused(response);
        } else {
          failure = errors.fromResponse(response);
        }
      } catch (IOException e) {
        logCall(request, -1, start);
        IOException cause = e instanceof SocketTimeoutException timeout && !attempt.connected
            ? new HttpErrors.ConnectTimeoutException(timeout) : e;
        failure = errors.fromIo(cause, request, null, cancellation.isCancelled());
      }
      if (cancellation.isCancelled()) {
        throw failure;
      }
      attempts++;
      Integer limit = attemptLimit(options);
      if (limit != null && attempts >= limit) {
        throw failure;
      }
      context.onRuntimeError(failure); // throws it when it is not to be retried, else waits
    }
  }

  /** One server's limit: the lower of {@code maxAttempts} and {@code maxAttemptsPerServer}. */
  private static @Nullable Integer attemptLimit(RequestOptions options) {
    Integer all = options.maxAttempts();
    Integer here = options.maxAttemptsPerServer();
    return all == null ? here : here == null ? all : Integer.valueOf(Math.min(all, here));
  }

  private OllamaException redirectRefused(Response response) {
    try (response) {
      String location = response.header("Location", "");
      HttpUrl target = response.request().url().resolve(location);
      String where = target == null ? "an unreadable location" : HttpErrors.origin(target) + target.encodedPath();
      return new OllamaProtocolException("HTTP " + response.code() + " from "
          + HttpErrors.describe(response.request()) + " redirects to " + where
          + "; Keyway does not follow redirects that change the scheme (https to http, or http to"
          + " https). Use the final URL as the base URL.", null);
    }
  }

  private OkHttpClient forOptions(RequestOptions options) {
    OkHttpClient pool = http.pick();
    if (!options.hasTimeoutOverrides()) {
      return pool;
    }
    OkHttpClient.Builder b = pool.newBuilder();
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

  private void logCall(Request request, int status, long startNanos) {
    if (LOG.isLoggable(Level.DEBUG)) {
      long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNanos);
      LOG.log(Level.DEBUG, "{0} {1} -> {2} ({3} ms to headers)", request.method(),
          request.url().encodedPath(), status < 0 ? "I/O error" : String.valueOf(status), millis);
    }
  }

  Request post(String path, byte[] body, boolean streaming) {
    return new Request.Builder()
        .url(endpoint(path))
        .header("Accept", streaming ? NDJSON : "application/json")
        .header("Accept-Encoding", "identity")
        .post(RequestBody.create(body, JSON))
        .build();
  }

  Request get(String path) {
    return new Request.Builder().url(endpoint(path)).header("Accept", "application/json")
        .header("Accept-Encoding", "identity").get().build();
  }

  /**
   * One attempt of a call, as a tag of its request: the client's network interceptor marks it
   * connected once a connection (TCP and TLS) is established, which tells a connect timeout from a
   * read timeout without reading exception messages.
   */
  static final class Attempt {
    volatile boolean connected;
    /** The server's {@code Retry-After} values {@link FollowUpGuard} hid from OkHttp, if any. */
    volatile @Nullable List<String> hiddenRetryAfter;
    /** The socket holding this attempt's answer for {@link RelayedResponse#relayTo}, if any. */
    volatile @Nullable ChannelSocket held;

    /** For a network interceptor: marks the attempt of {@code request}, if any, connected. */
    static void connected(Request request) {
      Attempt attempt = request.tag(Attempt.class);
      if (attempt != null) {
        attempt.connected = true;
      }
    }
  }

  HttpUrl endpoint(String path) {
    return baseUrl.newBuilder().addPathSegments(path).build();
  }

}
