package dev.keyway.ollama.spring.gateway;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.keyway.ollama.OllamaAuthenticationException;
import dev.keyway.ollama.OllamaHttpException;
import dev.keyway.ollama.OllamaTransportException;
import dev.keyway.ollama.OllamaException;
import dev.keyway.ollama.internal.DefaultOllamaClient;
import dev.keyway.ollama.internal.NdjsonLines;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import okhttp3.Response;
import okio.BufferedSource;
import org.jspecify.annotations.Nullable;

/**
 * Serves Ollama's wire protocol for chat, generate, embed, show, tags, ps and version, forwarding to the configured
 * Ollama with the server-side credential. Only the request's JSON body goes upstream, never its
 * headers; upstream bytes are written back line by line and flushed per line. Writing happens on
 * the request thread, so a slow reader slows the upstream read instead of filling memory.
 */
final class OllamaGatewayServlet extends HttpServlet {
  private static final long serialVersionUID = 1L;
  private static final ObjectMapper JSON = new ObjectMapper();
  static final String UPSTREAM_CREDENTIAL_REJECTED = "the gateway's upstream credential was rejected;"
      + " the operator must check ollama.api-key / ollama.api-key-header";

  private final transient DefaultOllamaClient client;
  private final transient ModelPolicy policy;
  private final long maxRequestBytes;
  private final Integer maxNumPredict;
  private final transient CrossSiteGuard guard;

  OllamaGatewayServlet(DefaultOllamaClient client, OllamaGatewayProperties properties) {
    this.client = client;
    this.policy = new ModelPolicy(properties.getAllowedModels());
    this.maxRequestBytes = properties.getMaxRequestSize().toBytes();
    this.maxNumPredict = properties.getMaxNumPredict();
    this.guard = new CrossSiteGuard(properties.getAllowedOrigins());
  }

  @Override
  protected void service(HttpServletRequest request, HttpServletResponse response) throws IOException {
    if (!guard.admit(request, response)) {
      return;
    }
    String path = request.getPathInfo() == null ? "/" : request.getPathInfo();
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

  private void checkedPost(HttpServletRequest request, HttpServletResponse response, String endpoint)
      throws IOException {
    if (request.getContentLengthLong() > maxRequestBytes) {
      tooLarge(response);
      return;
    }
    // Reads at most one byte past the limit: an oversized chunked body is never held whole.
    byte[] raw = request.getInputStream().readNBytes((int) Math.min(Integer.MAX_VALUE - 8, maxRequestBytes + 1));
    if (raw.length > maxRequestBytes) {
      tooLarge(response);
      return;
    }
    GatewayRequest checked = GatewayRequest.check(raw, policy, maxNumPredict, switch (endpoint) {
      case "api/embed" -> GatewayRequest.Endpoint.EMBED;
      case "api/show" -> GatewayRequest.Endpoint.SHOW;
      default -> GatewayRequest.Endpoint.GENERATE;
    });
    if (checked.refused()) {
      error(response, checked.status(), checked.error());
      return;
    }
    forward(response, "POST", endpoint, checked.body(), checked.streaming(), false);
  }

  /**
   * {@code /api/tags} and {@code /api/ps}, listing only the models the allow-list lets a browser
   * use: a model picker should not offer, nor a browser learn of, the others.
   */
  private void listing(HttpServletResponse response, String endpoint, boolean headOnly)
      throws IOException {
    if (policy.allowsAll()) {
      forward(response, "GET", endpoint, null, false, headOnly);
      return;
    }
    DefaultOllamaClient.Exchange exchange = send(response, "GET", endpoint, null, false);
    if (exchange == null) {
      return;
    }
    ObjectNode list;
    try (Response upstream = exchange.response()) {
      JsonNode tree = JSON.readTree(upstream.body().byteStream());
      if (tree == null || !tree.isObject()) {
        error(response, 502, "upstream Ollama answered unexpectedly");
        return;
      }
      list = (ObjectNode) tree;
    } catch (IOException e) {
      error(response, 502, "upstream Ollama answered unexpectedly");
      return;
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

  /** Sends upstream; on failure answers the browser and returns null. */
  private DefaultOllamaClient.@Nullable Exchange send(HttpServletResponse response, String method,
      String endpoint, byte @Nullable [] json, boolean streaming) throws IOException {
    try {
      return client.send(method, endpoint, json, streaming);
    } catch (OllamaAuthenticationException e) {
      error(response, 502, UPSTREAM_CREDENTIAL_REJECTED);
    } catch (OllamaHttpException e) {
      error(response, e.status(), e.serverMessage().isEmpty() ? "upstream error" : e.serverMessage());
    } catch (OllamaTransportException e) {
      error(response, 502, "upstream Ollama is unreachable");
    } catch (OllamaException e) {
      error(response, 502, "upstream Ollama answered unexpectedly");
    }
    return null;
  }

  private void forward(HttpServletResponse response, String method, String endpoint, byte[] json,
      boolean streaming, boolean headOnly) throws IOException {
    DefaultOllamaClient.Exchange exchange = send(response, method, endpoint, json, streaming);
    if (exchange == null) {
      return;
    }
    try (Response upstream = exchange.response()) {
      response.setStatus(200);
      response.setContentType(streaming ? "application/x-ndjson" : "application/json; charset=utf-8");
      response.setHeader("Cache-Control", "no-cache");
      response.setHeader("X-Accel-Buffering", "no");
      if (headOnly) {
        return;
      }
      relay(upstream.body().source(), response.getOutputStream(), exchange);
    }
  }

  /** Copies line by line, flushing each; a browser that went away cancels the upstream call. */
  private static void relay(BufferedSource source, OutputStream out, DefaultOllamaClient.Exchange exchange)
      throws IOException {
    while (true) {
      byte[] line;
      try {
        line = NdjsonLines.next(source, true);
        if (line == null) {
          return;
        }
      } catch (IOException upstreamFailed) {
        writeQuietly(out, "{\"error\":\"upstream stream failed\"}\n".getBytes(StandardCharsets.UTF_8));
        return;
      }
      try {
        out.write(line);
        out.flush();
      } catch (IOException browserGone) {
        exchange.call().cancel();
        return;
      }
    }
  }

  private static void tooLarge(HttpServletResponse response) throws IOException {
    response.setHeader("Connection", "close");
    error(response, 413, "request body is larger than this gateway accepts");
  }

  private static void error(HttpServletResponse response, int status, String message) throws IOException {
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
