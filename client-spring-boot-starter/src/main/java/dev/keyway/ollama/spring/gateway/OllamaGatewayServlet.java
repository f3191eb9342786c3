package dev.keyway.ollama.spring.gateway;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.keyway.ollama.OllamaAuthenticationException;
import dev.keyway.ollama.OllamaHttpException;
import dev.keyway.ollama.OllamaTransportException;
import dev.keyway.ollama.OllamaException;
import dev.keyway.ollama.OllamaClient;
import dev.keyway.ollama.OllamaServers;
import dev.keyway.ollama.PassThroughRequest;
import dev.keyway.ollama.PassThroughResponse;
import dev.keyway.ollama.RequestOptions;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * Serves Ollama's wire protocol for chat, generate, embed, show, tags, ps and version, forwarding to the configured
 * Ollama with the server-side credential, through {@link OllamaClient#passThrough} (so any
 * {@code OllamaClient} bean works, decorated or not). Only the checked JSON body goes upstream,
 * never the browser's headers. A stream goes out token by token, and a reply of any line length
 * never sits in memory: where the client can hand the stream over
 * ({@link PassThroughResponse#relayTo}), Keyway's relay thread writes it through the Servlet API's
 * non-blocking output ({@link BrowserSink}) and no request thread waits; otherwise the bytes are
 * copied on the request thread through a fixed buffer. Either way a slow reader slows the upstream
 * read. One
 * upstream call per server and browser request: with one server a 503 or 429 goes back at once
 * with its Retry-After; with {@link OllamaServers}, a server that refuses before answering hands
 * the call to the next one (never after the first byte), and the last refusal goes back.
 */
final class OllamaGatewayServlet extends HttpServlet {
  private static final long serialVersionUID = 1L;
  private static final ObjectMapper JSON = new ObjectMapper(GatewayJson.factory().build());
  static final String UPSTREAM_CREDENTIAL_REJECTED = "the gateway's upstream credential was rejected;"
      + " the operator must check ollama.api-key / ollama.api-key-header";

  /** One attempt: retrying an overloaded upstream on a browser's behalf multiplies its load. */
  static final RequestOptions ONE_ATTEMPT = RequestOptions.builder().maxAttempts(1).build();
  /**
   * A relayed call: one attempt on any one server (as {@link #ONE_ATTEMPT}); with
   * {@link OllamaServers}, a server that refuses before answering (no connection, 429, 502, 503,
   * 504) hands the call to the next suitable one, within the routing budget.
   */
  static final RequestOptions ONE_ATTEMPT_PER_SERVER =
      RequestOptions.builder().maxAttemptsPerServer(1).build();
  private static final int RELAY_BUFFER_BYTES = 16 * 1024;
  /** Largest tags/ps listing filtered for the allow-list. */
  private static final int MAX_LISTING_BYTES = 16 * 1024 * 1024;

  private final transient OllamaClient client;
  private final transient ModelPolicy policy;
  private final transient RequestRules rules;
  private final long maxRequestBytes;
  private final boolean fullShow;
  private final transient CrossSiteGuard guard;
  private final transient @Nullable GatewayLimits limits;
  private final transient GatewayDenials denials;

  OllamaGatewayServlet(OllamaClient client, OllamaGatewayProperties properties) {
    this(client, properties, null, GatewayDenials.NONE);
  }

  OllamaGatewayServlet(OllamaClient client, OllamaGatewayProperties properties, @Nullable GatewayLimits limits) {
    this(client, properties, limits, GatewayDenials.NONE);
  }

  /** @param denials told of every refusal this servlet writes (the limits tell their own) */
  OllamaGatewayServlet(OllamaClient client, OllamaGatewayProperties properties, @Nullable GatewayLimits limits,
      GatewayDenials denials) {
    this.limits = limits;
    this.denials = denials;
    this.client = client;
    this.rules = RequestRules.of(properties);
    this.policy = rules.models();
    this.maxRequestBytes = properties.getMaxRequestSize().toBytes();
    this.fullShow = properties.isFullShow();
    this.guard = new CrossSiteGuard(properties.getAllowedOrigins());
  }

  @Override
  protected void service(HttpServletRequest request, HttpServletResponse response) throws IOException {
    // From here on, refusals are told here or by the limits, not by GatewayDenialFilter.
    request.setAttribute(GatewayDenials.REACHED, Boolean.TRUE);
    String path = GatewayDenials.path(request);
    if (!guard.admit(request, response)) {
      // The guard answers 403 only to a foreign Origin and 415 only to a non-JSON POST; its 405 to
      // OPTIONS and its 204 to a listed origin's preflight are no refusals of policy.
      int status = response.getStatus();
      if (status == 403 || status == 415) {
        denials.deny(request, status == 403 ? GatewayDenials.CROSS_SITE : GatewayDenials.MEDIA_TYPE, path, null);
      }
      return;
    }
    String method = request.getMethod();
    switch (path) {
      case "/api/version" -> {
        if (method.equals("GET") || method.equals("HEAD")) {
          forward(response, "GET", path.substring(1), null, false, method.equals("HEAD"));
        } else {
          text(response, 405, "405 method not allowed");
        }
      }
      case "/api/tags", "/api/ps" -> {
        if (method.equals("GET") || method.equals("HEAD")) {
          listing(response, path.substring(1), method.equals("HEAD"));
        } else {
          text(response, 405, "405 method not allowed");
        }
      }
      case "/api/chat", "/api/generate", "/api/embed", "/api/show" -> {
        if (method.equals("POST")) {
          checkedPost(request, response, path.substring(1));
        } else {
          text(response, 405, "405 method not allowed");
        }
      }
      case "/" -> text(response, 200, "Ollama is running");
      default -> text(response, 404, "404 page not found");
    }
  }

  /**
   * The request body, read to at most one byte past the limit: an oversized chunked body is never
   * held whole. A declared length sizes the first read, so a small body costs a small buffer and
   * not {@link InputStream#readNBytes}'s 8 KiB; should more than declared come, it is read on as an
   * undeclared body is.
   */
  static byte[] body(HttpServletRequest request, long maxRequestBytes) throws IOException {
    long limit = Math.min(Integer.MAX_VALUE - 8, maxRequestBytes + 1);
    long declared = request.getContentLengthLong();
    InputStream in = request.getInputStream();
    if (declared < 0 || declared + 1 >= limit) {
      return in.readNBytes((int) limit);
    }
    byte[] first = in.readNBytes((int) declared + 1);
    if (first.length <= declared) {
      return first;
    }
    byte[] rest = in.readNBytes((int) (limit - first.length));
    byte[] all = Arrays.copyOf(first, first.length + rest.length);
    System.arraycopy(rest, 0, all, first.length, rest.length);
    return all;
  }

  private void checkedPost(HttpServletRequest request, HttpServletResponse response, String endpoint)
      throws IOException {
    if (request.getContentLengthLong() > maxRequestBytes) {
      denials.deny(request, GatewayDenials.TOO_LARGE, "/" + endpoint, null);
      tooLarge(response);
      return;
    }
    byte[] raw = body(request, maxRequestBytes);
    if (raw.length > maxRequestBytes) {
      denials.deny(request, GatewayDenials.TOO_LARGE, "/" + endpoint, null);
      tooLarge(response);
      return;
    }
    GatewayRequest checked = GatewayRequest.check(raw, rules, switch (endpoint) {
      case "api/chat" -> GatewayRequest.Endpoint.CHAT;
      case "api/embed" -> GatewayRequest.Endpoint.EMBED;
      case "api/show" -> GatewayRequest.Endpoint.SHOW;
      default -> GatewayRequest.Endpoint.GENERATE;
    });
    if (checked.refused()) {
      String reason = checked.reason();
      denials.deny(request, reason != null ? reason : GatewayDenials.BAD_REQUEST, "/" + endpoint, checked.model());
      error(response, checked.status(), String.valueOf(checked.error()));
      return;
    }
    if (endpoint.equals("api/show") && !fullShow) {
      show(response, checked.body());
      return;
    }
    GatewayLimits.Admission admission = null;
    if (limits != null) {
      admission = limits.admit(request, response, "/" + endpoint, modelOf(checked.body()));
      if (admission == null) {
        return;
      }
    }
    UsageMeter meter = admission == null ? null : new UsageMeter();
    GatewayLimits.Admission admitted = admission;
    Runnable finish = admitted == null || meter == null ? () -> { } : () -> admitted.finish(meter.tokens());
    boolean handedOff = false;
    try {
      handedOff = forward(request, response, "POST", endpoint, checked.body(), checked.streaming(), false, meter,
          finish);
    } finally {
      if (!handedOff) {
        finish.run();
      }
    }
  }

  /** The top-level {@code model} of a checked body, read up to that field only. */
  static @Nullable String modelOf(byte @Nullable [] json) {
    if (json == null) {
      return null;
    }
    try (JsonParser parser = JSON.getFactory().createParser(json)) {
      if (parser.nextToken() != JsonToken.START_OBJECT) {
        return null;
      }
      while (parser.nextToken() == JsonToken.FIELD_NAME) {
        String name = parser.currentName();
        JsonToken value = parser.nextToken();
        if ("model".equals(name)) {
          return value == JsonToken.VALUE_STRING ? parser.getText() : null;
        }
        parser.skipChildren();
      }
      return null;
    } catch (IOException e) {
      return null;
    }
  }

  /** {@code /api/show} with only what a model picker needs (see {@link ShowFilter}). */
  private void show(HttpServletResponse response, byte @Nullable [] json) throws IOException {
    PassThroughResponse upstream = send(response, "POST", "api/show", json, false);
    if (upstream == null) {
      return;
    }
    byte[] picked;
    try (upstream) {
      picked = ShowFilter.filter(upstream.body());
    } catch (IOException e) {
      error(response, 502, "upstream Ollama answered unexpectedly");
      return;
    }
    response.setStatus(200);
    response.setContentType("application/json; charset=utf-8");
    response.setHeader("Cache-Control", "no-cache");
    response.getOutputStream().write(picked);
  }

  /**
   * {@code /api/tags} and {@code /api/ps}, listing only the models the allow-list lets a browser
   * use: a model picker should not offer, nor a browser learn of, the others.
   */
  private void listing(HttpServletResponse response, String endpoint, boolean headOnly)
      throws IOException {
    ObjectNode list;
    if (client instanceof OllamaServers servers) {
      list = merged(response, servers, endpoint);
      if (list == null) {
        return;
      }
    } else {
      if (policy.allowsAll()) {
        forward(response, "GET", endpoint, null, false, headOnly);
        return;
      }
      PassThroughResponse upstream = send(response, "GET", endpoint, null, false);
      if (upstream == null) {
        return;
      }
      try (upstream) {
        list = readListing(upstream);
      } catch (IOException e) {
        list = null;
      }
      if (list == null) {
        error(response, 502, "upstream Ollama answered unexpectedly");
        return;
      }
    }
    ArrayNode kept = JSON.createArrayNode();
    JsonNode models = list.get("models");
    if (models != null && models.isArray()) {
      for (JsonNode model : models) {
        JsonNode name = model.hasNonNull("name") ? model.get("name") : model.get("model");
        if (name != null && name.isTextual() && policy.allows(name.asText())) {
          kept.add(model);
        }
      }
    }
    list.set("models", kept);
    response.setStatus(200);
    response.setContentType("application/json; charset=utf-8");
    response.setHeader("Cache-Control", "no-cache");
    if (!headOnly) {
      response.getOutputStream().write(JSON.writeValueAsBytes(list));
    }
  }

  /** A listing's JSON object, or null when the answer is not one (or too large). */
  private static @Nullable ObjectNode readListing(PassThroughResponse upstream) throws IOException {
    byte[] bytes = upstream.body().readNBytes(MAX_LISTING_BYTES + 1);
    if (bytes.length > MAX_LISTING_BYTES) {
      return null;
    }
    JsonNode tree = JSON.readTree(bytes);
    return tree != null && tree.isObject() ? (ObjectNode) tree : null;
  }

  /**
   * With several servers, every server's {@code /api/tags} or {@code /api/ps} in one list (a
   * relay to one server would hide the others' models): tags name each model once (the first
   * server's entry), ps lists every loaded instance. A server that fails is left out; when every
   * one fails, the first failure is answered as a single upstream's would be. A server whose
   * credential was rejected is not asked until the router's polls find it accepted again (a
   * browser reloading its model list must not keep knocking with a refused key); when no other
   * server is left, the browser hears that the upstream credential was rejected.
   */
  private @Nullable ObjectNode merged(HttpServletResponse response, OllamaServers servers,
      String endpoint) throws IOException {
    ArrayNode models = JSON.createArrayNode();
    Set<String> seen = new HashSet<>();
    OllamaException first = null;
    boolean any = false;
    boolean rejected = false;
    for (OllamaServers.ServerStatus status : servers.status()) {
      if (status.credentialRejected()) {
        rejected = true;
        continue;
      }
      String name = status.name();
      ObjectNode list;
      try (PassThroughResponse upstream = servers.server(name).passThrough(
          PassThroughRequest.get(endpoint).options(ONE_ATTEMPT))) {
        list = readListing(upstream);
      } catch (OllamaException e) {
        first = first == null ? e : first;
        continue;
      } catch (IOException e) {
        list = null;
      }
      if (list == null) {
        continue;
      }
      any = true;
      JsonNode entries = list.get("models");
      if (entries != null && entries.isArray()) {
        for (JsonNode model : entries) {
          JsonNode id = model.hasNonNull("name") ? model.get("name") : model.get("model");
          if (endpoint.equals("api/ps") || id == null || seen.add(id.asText())) {
            models.add(model);
          }
        }
      }
    }
    if (!any) {
      if (first != null) {
        upstreamFailed(response, first);
      } else if (rejected) {
        error(response, 502, UPSTREAM_CREDENTIAL_REJECTED);
      } else {
        error(response, 502, "upstream Ollama answered unexpectedly");
      }
      return null;
    }
    return JSON.createObjectNode().set("models", models);
  }

  /** Sends upstream; on failure answers the browser and returns null. */
  private @Nullable PassThroughResponse send(HttpServletResponse response, String method,
      String endpoint, byte @Nullable [] json, boolean streaming) throws IOException {
    try {
      PassThroughRequest request = json == null ? PassThroughRequest.get(endpoint)
          : PassThroughRequest.post(endpoint, json);
      String model = modelOf(json);
      if (model != null && !model.isBlank()) {
        request = request.model(model); // OllamaServers routes a relayed call by it
      }
      return client.passThrough(request.streaming(streaming).options(ONE_ATTEMPT_PER_SERVER));
    } catch (OllamaException e) {
      upstreamFailed(response, e);
    }
    return null;
  }

  /** Answers the browser for a failed upstream call, without anything of the credential. */
  private static void upstreamFailed(HttpServletResponse response, OllamaException failure)
      throws IOException {
    if (failure instanceof OllamaAuthenticationException) {
      error(response, 502, UPSTREAM_CREDENTIAL_REJECTED);
    } else if (failure instanceof OllamaHttpException e) {
      // 503 and 429 included: the browser (or its client's own retry) decides when to come back.
      e.retryAfter().ifPresent(after -> response.setHeader("Retry-After",
          Long.toString(Math.max(0, after.toSeconds() + (after.toMillisPart() > 0 ? 1 : 0)))));
      error(response, e.status(), e.serverMessage().isEmpty() ? "upstream error" : e.serverMessage());
    } else if (failure instanceof OllamaTransportException) {
      error(response, 502, "upstream Ollama is unreachable");
    } else {
      error(response, 502, "upstream Ollama answered unexpectedly");
    }
  }

  private void forward(HttpServletResponse response, String method, String endpoint,
      byte @Nullable [] json, boolean streaming, boolean headOnly) throws IOException {
    forward(null, response, method, endpoint, json, streaming, headOnly, null, () -> { });
  }

  /**
   * Relays one upstream answer. A stream goes through Keyway's relay thread when the client can
   * hand it over and the request may go asynchronous (see {@link BrowserSink}): then this returns
   * true at once and {@code finish} runs when the relay ends; otherwise the bytes are copied on
   * this thread and the caller runs {@code finish}.
   */
  private boolean forward(@Nullable HttpServletRequest request, HttpServletResponse response, String method,
      String endpoint, byte @Nullable [] json, boolean streaming, boolean headOnly, @Nullable UsageMeter meter,
      Runnable finish) throws IOException {
    PassThroughResponse upstream = send(response, method, endpoint, json, streaming);
    if (upstream == null) {
      return false;
    }
    boolean handedOff = false;
    try {
      response.setStatus(200);
      response.setContentType(streaming ? "application/x-ndjson" : "application/json; charset=utf-8");
      response.setHeader("Cache-Control", "no-cache");
      response.setHeader("X-Accel-Buffering", "no");
      if (headOnly) {
        return false;
      }
      if (streaming && request != null && request.isAsyncSupported()) {
        BrowserSink sink = new BrowserSink(upstream, meter, finish);
        if (upstream.relayTo(sink)) {
          handedOff = true;
          try {
            sink.attach(request.startAsync(), response.getOutputStream());
          } catch (IOException | RuntimeException e) {
            sink.browserGone();
            throw e;
          }
          return true;
        }
      }
      relay(upstream, response.getOutputStream(), streaming, meter);
      return false;
    } finally {
      if (!handedOff) {
        upstream.close();
      }
    }
  }

  /**
   * Copies upstream's bytes to the browser through one fixed buffer, flushing each read of a
   * stream; shows {@code meter} each buffer once the browser's stream took it. A browser that went
   * away cancels the upstream call.
   */
  static void relay(PassThroughResponse upstream, OutputStream out, boolean streaming, @Nullable UsageMeter meter)
      throws IOException {
    InputStream in = upstream.body();
    byte[] buffer = new byte[RELAY_BUFFER_BYTES];
    boolean lineOpen = false;
    while (true) {
      int n;
      try {
        n = in.read(buffer);
        if (n < 0) {
          return;
        }
      } catch (IOException upstreamFailed) {
        writeQuietly(out, failureLine(lineOpen));
        return;
      }
      if (n == 0) {
        continue;
      }
      lineOpen = buffer[n - 1] != '\n';
      try {
        out.write(buffer, 0, n);
        if (streaming) {
          out.flush();
        }
      } catch (IOException browserGone) {
        upstream.cancel();
        return;
      }
      if (meter != null) {
        meter.feed(buffer, 0, n);
      }
    }
  }

  /** The line that tells an NDJSON reader the stream failed; mid-line, it starts a line of its own. */
  static byte[] failureLine(boolean lineOpen) {
    return ((lineOpen ? "\n" : "") + "{\"error\":\"upstream stream failed\"}\n").getBytes(StandardCharsets.UTF_8);
  }

  private static void tooLarge(HttpServletResponse response) throws IOException {
    response.setHeader("Connection", "close");
    error(response, 413, "request body is larger than this gateway accepts");
  }

  /** Answers {@code status} with Ollama's error shape, {@code {"error": message}}. */
  static void error(HttpServletResponse response, int status, String message) throws IOException {
    response.setStatus(status);
    response.setContentType("application/json; charset=utf-8");
    ObjectNode node = JSON.createObjectNode().put("error", message);
    response.getOutputStream().write(JSON.writeValueAsBytes(node));
  }

  private static void text(HttpServletResponse response, int status, String body) throws IOException {
    response.setStatus(status);
    response.setContentType("text/plain; charset=utf-8");
    response.getOutputStream().write(body.getBytes(StandardCharsets.UTF_8));
  }

  private static void writeQuietly(OutputStream out, byte[] bytes) {
    try {
      out.write(bytes);
      out.flush();
    } catch (IOException ignored) {
      // the browser is gone too
    }
  }
}
