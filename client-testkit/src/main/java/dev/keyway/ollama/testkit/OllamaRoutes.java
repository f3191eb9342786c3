package dev.keyway.ollama.testkit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;

/**
 * What Ollama answers on each path: the credential check, the dispatch, and chat and generate.
 * The other routes live in {@link ModelRoutes}, {@link TransferRoutes}, {@link BlobRoutes}, {@link
 * EmbedRoutes} and {@link CloudRoutes}.
 */
final class OllamaRoutes {
  /** Synthetic but plausible metrics; see ollama-api.md 2.7. */
  static final long LOAD_NANOS = 1_840_125L;
  private static final long PROMPT_TOKEN_NANOS = 180_000L;
  private static final String BLOBS = "/api/blobs/";

  private final ModelStore store;
  private final List<String[]> credentials;
  private final String version;
  private final Supplier<@Nullable Fault> faults;
  private final ModelRoutes modelRoutes;
  private final TransferRoutes transferRoutes;
  private final BlobRoutes blobRoutes;
  private final EmbedRoutes embedRoutes;

  OllamaRoutes(
      ModelStore store,
      List<String[]> credentials,
      String version,
      Supplier<@Nullable Fault> faults) {
    this.store = store;
    this.credentials = credentials;
    this.version = version;
    this.faults = faults;
    this.modelRoutes = new ModelRoutes(store);
    this.transferRoutes = new TransferRoutes(store);
    this.blobRoutes = new BlobRoutes(store);
    this.embedRoutes = new EmbedRoutes(store);
  }

  /** Whether the request's body is left on the connection for the route to stream (blob uploads). */
  static boolean streamsBody(Http1.Request head) {
    return head.method.equals("POST") && head.path.startsWith(BLOBS);
  }

  void handle(Exchange ex) throws IOException {
    Http1.Request request = ex.request;
    for (String[] credential : credentials) {
      if (!credential[1].equals(request.header(credential[0]))) {
        ex.text(401, Exchange.TEXT, "Unauthorized"); // like Caddy's respond "Unauthorized" 401
        return;
      }
    }
    String method = request.method;
    boolean get = method.equals("GET");
    boolean read = get || method.equals("HEAD");
    boolean post = method.equals("POST");
    switch (request.path) {
      case "/": route(ex, read, e -> e.text(200, Exchange.TEXT, "Ollama is running")); return;
      case "/api/version": route(ex, read, this::version); return;
      case "/api/tags": route(ex, read, modelRoutes::tags); return;
      case "/api/ps": route(ex, get, modelRoutes::ps); return; // no HEAD, as in Ollama
      case "/api/chat": route(ex, post, e -> inference(e, true)); return;
      case "/api/generate": route(ex, post, e -> inference(e, false)); return;
      case "/api/embed": route(ex, post, embedRoutes::embed); return;
      case "/api/embeddings": route(ex, post, embedRoutes::embeddings); return;
      case "/api/show": route(ex, post, modelRoutes::show); return;
      case "/api/copy": route(ex, post, modelRoutes::copy); return;
      case "/api/delete": route(ex, method.equals("DELETE"), modelRoutes::delete); return;
      case "/api/pull": route(ex, post, transferRoutes::pull); return;
      case "/api/push": route(ex, post, transferRoutes::push); return;
      case "/api/create": route(ex, post, transferRoutes::create); return;
      case "/api/web_search": // ollama.com's path
      case "/api/experimental/web_search": // a signed-in local server's
        route(ex, post, CloudRoutes::webSearch);
        return;
      case "/api/web_fetch":
      case "/api/experimental/web_fetch":
        route(ex, post, CloudRoutes::webFetch);
        return;
      default:
        String digest = request.path.startsWith(BLOBS) ? request.path.substring(BLOBS.length()) : "";
        if (digest.isEmpty() || digest.contains("/")) {
          ex.text(404, "text/plain", "404 page not found"); // gin's default
        } else {
          route(ex, post || method.equals("HEAD"), e -> {
            if (post) {
              blobRoutes.upload(e, digest);
            } else {
              blobRoutes.head(e, digest);
            }
          });
        }
    }
  }

  /** A known path: the handler when the method fits, gin's 405 otherwise. */
  private static void route(Exchange ex, boolean methodFits, Handler handler) throws IOException {
    if (methodFits) {
      handler.handle(ex);
    } else {
      ex.text(405, "text/plain", "405 method not allowed");
    }
  }

  private interface Handler {
    void handle(Exchange ex) throws IOException;
  }

  private void version(Exchange ex) throws IOException {
    ex.json(200, Json.bytes(Json.object().put("version", version)));
  }

  // --- chat and generate ---------------------------------------------------------------------

  private static final int THINKING = 0;
  private static final int CONTENT = 1;
  private static final int TOOL = 2;

  /** One streamed line before {@code done}: a thinking token, a content token or a tool call. */
  private static final class Piece {
    final int kind;
    final String text;
    final ScriptedModel.@Nullable ToolCall call;
    final int toolIndex;

    Piece(int kind, String text, ScriptedModel.@Nullable ToolCall call, int toolIndex) {
      this.kind = kind;
      this.text = text;
      this.call = call;
      this.toolIndex = toolIndex;
    }
  }

  private void inference(Exchange ex, boolean chat) throws IOException {
    Fault fault = faults.get();
    if (fault != null && fault.kind == Fault.Kind.SLOW_FIRST_BYTE) {
      ex.pause(fault.delay);
      fault = null;
    }
    if (fault != null && fault.kind == Fault.Kind.STATUS) {
      statusFault(ex, fault);
      return;
    }

    JsonNode json = chat
        ? JsonBody.read(ex, "ChatRequest", "model", "string", "stream", "bool",
            "messages", "[]api.Message")
        : JsonBody.read(ex, "GenerateRequest", "model", "string", "stream", "bool",
            "prompt", "string");
    if (json == null) {
      return;
    }
    String name = json.path("model").asText("");
    if (chat && name.isEmpty()) {
      ex.error(400, "model is required");
      return;
    }
    ModelStore.Stored stored = store.find(name);
    if (stored == null) {
      ex.error(404, "model '" + name + "' not found");
      return;
    }
    ScriptedModel model = stored.model;
    store.use(stored, json.get("keep_alive"));
    boolean stream = JsonBody.stream(json);

    boolean empty = chat ? json.path("messages").isEmpty() : json.path("prompt").asText("").isEmpty();
    if (empty) {
      // Ollama answers load and unload with c.JSON, streaming or not
      String reason = ModelStore.unloads(json.get("keep_alive")) ? "unload" : "load";
      ObjectNode reply = head(name, chat, "");
      reply.put("done", true).put("done_reason", reason);
      ex.json(200, Json.bytes(reply));
      return;
    }

    boolean think = !(json.path("think").isBoolean() && !json.get("think").booleanValue());
    JsonNode numPredict = json.path("options").path("num_predict");
    int limit = numPredict.isNumber() ? numPredict.intValue() : -1;
    List<Piece> pieces = new ArrayList<>();
    if (think) {
      model.thinkingTokens().forEach(t -> pieces.add(new Piece(THINKING, t, null, 0)));
    }
    model.contentTokens().forEach(t -> pieces.add(new Piece(CONTENT, t, null, 0)));
    boolean truncated = limit >= 0 && limit < pieces.size();
    if (truncated) {
      pieces.subList(limit, pieces.size()).clear();
    } else if (chat) {
      List<ScriptedModel.ToolCall> calls = model.toolCalls();
      for (int i = 0; i < calls.size(); i++) {
        pieces.add(new Piece(TOOL, "", calls.get(i), i));
      }
    }
    Reply reply =
        new Reply(ex, chat, name, model, pieces, truncated ? "length" : "stop", promptCount(json, chat),
            !chat && json.path("raw").asBoolean(false));
    if (stream) {
      reply.stream(fault);
    } else {
      reply.unary(fault);
    }
  }

  /** One chat or generate reply being written. */
  private static final class Reply {
    final Exchange ex;
    final boolean chat;
    final String name;
    final ScriptedModel model;
    final List<Piece> pieces;
    final String doneReason;
    final int promptCount;
    final boolean raw;
    final long startNanos = System.nanoTime();

    Reply(Exchange ex, boolean chat, String name, ScriptedModel model, List<Piece> pieces,
        String doneReason, int promptCount, boolean raw) {
      this.ex = ex;
      this.chat = chat;
      this.name = name;
      this.model = model;
      this.pieces = pieces;
      this.doneReason = doneReason;
      this.promptCount = promptCount;
      this.raw = raw;
    }

    void stream(@Nullable Fault fault) throws IOException {
      // The faults that strike inside the stream; the others act before it starts.
      @Nullable Fault strike = fault != null && fault.kind != Fault.Kind.SLOW_FIRST_BYTE
          && fault.kind != Fault.Kind.STATUS ? fault : null;
      int strikeAt = strike != null ? Math.min(strike.tokens, pieces.size()) : -1;
      for (int i = 0; i <= pieces.size(); i++) {
        if (strike != null && i == strikeAt) {
          switch (strike.kind) {
            case ERROR_AFTER:
              ex.chunk(Json.line(Json.object().put("error", strike.message)));
              ex.endStream();
              return;
            case DROP_AFTER:
              ex.abort();
              return;
            case END_WITHOUT_DONE:
              ex.endStream();
              return;
            case LINE_AFTER:
              ex.chunk((strike.message + "\n").getBytes(StandardCharsets.UTF_8));
              ex.endStream();
              return;
            case DROP_MID_CHARACTER:
              dropMidCharacter(i);
              return;
            case STALL_AFTER:
              ex.pause(strike.delay);
              break;
            default:
              throw new AssertionError(strike.kind);
          }
        }
        if (i == pieces.size()) {
          break;
        }
        ex.pause(model.delay());
        ex.chunk(Json.line(chunk(pieces.get(i))));
      }
      ex.chunk(Json.line(done()));
      ex.endStream();
    }

    void unary(@Nullable Fault fault) throws IOException {
      if (fault != null) {
        switch (fault.kind) {
          case ERROR_AFTER:
            ex.error(500, fault.message);
            return;
          case DROP_AFTER:
          case DROP_MID_CHARACTER:
            ex.abort();
            return;
          case LINE_AFTER:
            ex.text(200, Exchange.JSON, fault.message);
            return;
          case STALL_AFTER:
            ex.pause(fault.delay);
            break;
          default:
            break;
        }
      }
      ex.pause(model.delay().multipliedBy(pieces.size()));
      StringBuilder content = new StringBuilder();
      StringBuilder thinking = new StringBuilder();
      ArrayNode calls = Json.MAPPER.createArrayNode();
      for (Piece piece : pieces) {
        if (piece.kind == THINKING) {
          thinking.append(piece.text);
        } else if (piece.kind == CONTENT) {
          content.append(piece.text);
        } else {
          calls.add(toolCall(piece));
        }
      }
      ObjectNode reply = head(name, chat, content.toString());
      if (chat) {
        ObjectNode message = (ObjectNode) reply.get("message");
        if (thinking.length() > 0) {
          message.put("thinking", thinking.toString());
        }
        if (!calls.isEmpty()) {
          message.set("tool_calls", calls);
        }
      } else if (thinking.length() > 0) {
        reply.put("thinking", thinking.toString());
      }
      finish(reply);
      ex.json(200, Json.bytes(reply));
    }

    private ObjectNode chunk(Piece piece) {
      ObjectNode line = head(name, chat, piece.kind == CONTENT ? piece.text : "");
      if (piece.kind == THINKING) {
        (chat ? (ObjectNode) line.get("message") : line).put("thinking", piece.text);
      } else if (piece.kind == TOOL) {
        ((ObjectNode) line.get("message")).putArray("tool_calls").add(toolCall(piece));
      }
      return line.put("done", false);
    }

    private ObjectNode done() {
      ObjectNode line = head(name, chat, "");
      finish(line);
      return line;
    }

    /** {@code done}, {@code done_reason}, {@code context} (generate) and the metrics. */
    private void finish(ObjectNode reply) {
      reply.put("done", true).put("done_reason", doneReason);
      int evalCount = pieces.size();
      if (!chat && !raw) {
        ArrayNode context = reply.putArray("context");
        int seed = name.hashCode();
        for (int i = 0; i < promptCount + evalCount; i++) {
          context.add(1 + Math.floorMod(seed + i * 7919 + i * i * 31, 128_000));
        }
      }
      long now = System.nanoTime();
      long promptNanos = promptCount * PROMPT_TOKEN_NANOS;
      reply.put("total_duration", LOAD_NANOS + promptNanos + Math.max(1, now - ex.request.receivedNanos));
      reply.put("load_duration", LOAD_NANOS);
      reply.put("prompt_eval_count", promptCount);
      reply.put("prompt_eval_duration", promptNanos);
      if (evalCount > 0) {
        reply.put("eval_count", evalCount);
        reply.put("eval_duration", Math.max(1, now - startNanos));
      }
    }

    private void dropMidCharacter(int index) throws IOException {
      Piece next = index < pieces.size() ? pieces.get(index) : null;
      boolean thinking = next != null && next.kind == THINKING;
      String text = next == null || next.kind == TOOL ? "" : next.text;
      if (text.chars().allMatch(c -> c < 0x80)) {
        text = "é" + text;
      }
      ObjectNode line = head(name, chat, thinking ? "" : text);
      if (thinking) {
        (chat ? (ObjectNode) line.get("message") : line).put("thinking", text);
      }
      byte[] bytes = Json.line(line.put("done", false));
      int cut = 0;
      while ((bytes[cut] & 0xC0) != 0xC0) {
        cut++;
      }
      ex.truncatedChunk(bytes, cut + 1);
    }
  }

  /** {@code model}, {@code created_at}, then {@code message} (chat) or {@code response}. */
  private static ObjectNode head(String name, boolean chat, String text) {
    ObjectNode node = Json.object();
    node.put("model", name);
    node.put("created_at", Json.timestamp(Instant.now()));
    if (chat) {
      node.putObject("message").put("role", "assistant").put("content", text);
    } else {
      node.put("response", text);
    }
    return node;
  }

  private static ObjectNode toolCall(Piece piece) {
    ObjectNode call = Json.object();
    call.put("id", callId());
    ObjectNode function = call.putObject("function");
    function.put("index", piece.toolIndex);
    ScriptedModel.ToolCall tool = Objects.requireNonNull(piece.call, "a tool-call piece has its call");
    function.put("name", tool.name);
    function.set("arguments", tool.arguments());
    return call;
  }

  private static String callId() {
    String alphabet = "abcdefghijklmnopqrstuvwxyz0123456789";
    ThreadLocalRandom random = ThreadLocalRandom.current();
    StringBuilder id = new StringBuilder("call_");
    for (int i = 0; i < 8; i++) {
      id.append(alphabet.charAt(random.nextInt(alphabet.length())));
    }
    return id.toString();
  }

  /** A rough token count of the prompt, template overhead included; deterministic. */
  private static int promptCount(JsonNode json, boolean chat) {
    int count = 8;
    if (chat) {
      for (JsonNode message : json.path("messages")) {
        count += 4 + ScriptedModel.split(message.path("content").asText("")).size();
      }
    } else {
      count += ScriptedModel.split(json.path("prompt").asText("")).size();
      count += ScriptedModel.split(json.path("system").asText("")).size();
    }
    return count;
  }

  private static void statusFault(Exchange ex, Fault fault) throws IOException {
    String body = fault.body;
    String contentType = body.isEmpty() ? null
        : looksLikeJson(body) ? Exchange.JSON
        : body.stripLeading().startsWith("<") ? Exchange.HTML
        : Exchange.TEXT;
    List<String[]> extra =
        fault.retryAfter == null ? List.of() : List.<String[]>of(new String[] {"Retry-After", fault.retryAfter});
    ex.respond(fault.status, contentType, body.getBytes(StandardCharsets.UTF_8), extra);
  }

  private static boolean looksLikeJson(String body) {
    String trimmed = body.strip();
    if (!trimmed.startsWith("{") && !trimmed.startsWith("[")) {
      return false;
    }
    try {
      Json.MAPPER.readTree(trimmed);
      return true;
    } catch (IOException e) {
      return false;
    }
  }
}
