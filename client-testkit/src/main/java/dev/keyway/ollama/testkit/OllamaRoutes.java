package dev.keyway.ollama.testkit;

import com.fasterxml.jackson.core.JsonParseException;
import com.fasterxml.jackson.core.io.JsonEOFException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Supplier;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/** What Ollama answers on each path, for the scripted models. */
final class OllamaRoutes {
  /** Synthetic but plausible metrics; see ollama-api.md 2.7. */
  private static final long LOAD_NANOS = 1_840_125L;
  private static final long PROMPT_TOKEN_NANOS = 180_000L;
  private static final Pattern ZERO_DURATION =
      Pattern.compile("[-+]?0+(\\.0*)?(ns|us|µs|ms|s|m|h)?");

  private final Map<String, ScriptedModel> models;
  private final List<String[]> credentials;
  private final String version;
  private final OffsetDateTime modifiedAt;
  private final Supplier<@Nullable Fault> faults;

  OllamaRoutes(
      Map<String, ScriptedModel> models,
      List<String[]> credentials,
      String version,
      OffsetDateTime modifiedAt,
      Supplier<@Nullable Fault> faults) {
    this.models = models;
    this.credentials = credentials;
    this.version = version;
    this.modifiedAt = modifiedAt;
    this.faults = faults;
  }

  void handle(Exchange ex) throws IOException {
    Http1.Request request = ex.request;
    for (String[] credential : credentials) {
      if (!credential[1].equals(request.header(credential[0]))) {
        ex.text(401, Exchange.TEXT, "Unauthorized"); // like Caddy's respond "Unauthorized" 401
        return;
      }
    }
    boolean read = request.method.equals("GET") || request.method.equals("HEAD");
    boolean post = request.method.equals("POST");
    switch (request.path) {
      case "/":
        if (read) {
          ex.text(200, Exchange.TEXT, "Ollama is running");
          return;
        }
        break;
      case "/api/version":
        if (read) {
          ex.json(200, Json.bytes(Json.object().put("version", version)));
          return;
        }
        break;
      case "/api/tags":
        if (read) {
          ex.json(200, Json.bytes(tags()));
          return;
        }
        break;
      case "/api/chat":
        if (post) {
          inference(ex, true);
          return;
        }
        break;
      case "/api/generate":
        if (post) {
          inference(ex, false);
          return;
        }
        break;
      default:
        ex.text(404, "text/plain", "404 page not found"); // gin's default
        return;
    }
    ex.text(405, "text/plain", "405 method not allowed");
  }

  private ObjectNode tags() {
    ObjectNode root = Json.object();
    ArrayNode list = root.putArray("models");
    for (ScriptedModel model : models.values()) {
      ObjectNode entry = list.addObject();
      entry.put("name", model.listedName());
      entry.put("model", model.listedName());
      entry.put("modified_at", Json.timestamp(modifiedAt));
      entry.put("size", sizeInBytes(model.parameterSizeLabel()));
      entry.put("digest", sha256(model.listedName()));
      ObjectNode details = entry.putObject("details");
      details.put("parent_model", "");
      details.put("format", "gguf");
      details.put("family", model.familyName());
      details.putArray("families").add(model.familyName());
      details.put("parameter_size", model.parameterSizeLabel());
      details.put("quantization_level", model.quantization());
      List<String> capabilities = model.listedCapabilities();
      if (!capabilities.isEmpty()) {
        ArrayNode array = entry.putArray("capabilities");
        capabilities.forEach(array::add);
      }
    }
    return root;
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

    String type = chat ? "ChatRequest" : "GenerateRequest";
    byte[] body = ex.request.body;
    JsonNode json;
    try {
      json = Json.MAPPER.readTree(body);
    } catch (IOException e) {
      ex.error(400, goSyntaxError(body, e));
      return;
    }
    if (json == null || json.isMissingNode()) {
      ex.error(400, "missing request body");
      return;
    }
    if (json.isNull()) {
      json = Json.object(); // Go decodes null into an untouched struct
    }
    if (!json.isObject()) {
      ex.error(400, "json: cannot unmarshal " + Json.goKind(json) + " into Go value of type api." + type);
      return;
    }
    String typeError = typeError(json, type, "model", "string", JsonNode::isTextual);
    if (typeError.isEmpty()) {
      typeError = typeError(json, type, "stream", "bool", JsonNode::isBoolean);
    }
    if (typeError.isEmpty()) {
      typeError = chat
          ? typeError(json, type, "messages", "[]api.Message", JsonNode::isArray)
          : typeError(json, type, "prompt", "string", JsonNode::isTextual);
    }
    if (!typeError.isEmpty()) {
      ex.error(400, typeError);
      return;
    }
    String name = json.path("model").asText("");
    if (chat && name.isEmpty()) {
      ex.error(400, "model is required");
      return;
    }
    ScriptedModel model = models.get(ScriptedModel.canonical(name));
    if (model == null) {
      ex.error(404, "model '" + name + "' not found");
      return;
    }
    boolean stream = !json.path("stream").isBoolean() || json.get("stream").booleanValue();

    boolean empty = chat ? json.path("messages").isEmpty() : json.path("prompt").asText("").isEmpty();
    if (empty) {
      // Ollama answers load and unload with c.JSON, streaming or not
      String reason = isZero(json.get("keep_alive")) ? "unload" : "load";
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
      boolean streamFault = fault != null && fault.kind != Fault.Kind.SLOW_FIRST_BYTE
          && fault.kind != Fault.Kind.STATUS;
      int strikeAt = streamFault ? Math.min(fault.tokens, pieces.size()) : -1;
      for (int i = 0; i <= pieces.size(); i++) {
        if (i == strikeAt) {
          switch (fault.kind) {
            case ERROR_AFTER:
              ex.chunk(Json.line(Json.object().put("error", fault.message)));
              ex.endStream();
              return;
            case DROP_AFTER:
              ex.abort();
              return;
            case END_WITHOUT_DONE:
              ex.endStream();
              return;
            case LINE_AFTER:
              ex.chunk((fault.message + "\n").getBytes(StandardCharsets.UTF_8));
              ex.endStream();
              return;
            case DROP_MID_CHARACTER:
              dropMidCharacter(i);
              return;
            case STALL_AFTER:
              ex.pause(fault.delay);
              break;
            default:
              throw new AssertionError(fault.kind);
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
    function.put("name", piece.call.name);
    function.set("arguments", piece.call.arguments());
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

  private static boolean isZero(@Nullable JsonNode keepAlive) {
    if (keepAlive == null || keepAlive.isNull()) {
      return false;
    }
    if (keepAlive.isNumber()) {
      return keepAlive.doubleValue() == 0;
    }
    return keepAlive.isTextual() && ZERO_DURATION.matcher(keepAlive.asText().strip()).matches();
  }

  private static String typeError(JsonNode json, String type, String field, String goType,
      java.util.function.Predicate<JsonNode> ok) {
    JsonNode value = json.get(field);
    if (value == null || value.isNull() || ok.test(value)) {
      return "";
    }
    return "json: cannot unmarshal " + Json.goKind(value) + " into Go struct field " + type + "."
        + field + " of type " + goType;
  }

  /** Go's wording for a syntax error, near enough: the offending character or end of input. */
  private static String goSyntaxError(byte[] body, IOException e) {
    if (e instanceof JsonEOFException) {
      return "unexpected EOF";
    }
    String text = new String(body, StandardCharsets.UTF_8);
    int offset = -1;
    if (e instanceof JsonParseException && ((JsonParseException) e).getLocation() != null) {
      long chars = ((JsonParseException) e).getLocation().getCharOffset();
      long bytes = ((JsonParseException) e).getLocation().getByteOffset();
      offset = (int) (chars >= 0 ? chars : bytes);
    }
    int first = 0;
    while (first < text.length() && Character.isWhitespace(text.charAt(first))) {
      first++;
    }
    char bad;
    String where;
    if (first < text.length() && "{[\"-0123456789tfn".indexOf(text.charAt(first)) < 0) {
      bad = text.charAt(first);
      where = "looking for beginning of value";
    } else if (offset > 0 && offset <= text.length()) {
      bad = text.charAt(Math.max(0, Math.min(offset, text.length()) - 1));
      where = "in JSON input";
    } else {
      return "unexpected EOF";
    }
    return "invalid character '" + bad + "' " + where;
  }

  private static long sizeInBytes(String parameterSize) {
    try {
      String label = parameterSize.strip().toUpperCase(java.util.Locale.ROOT);
      char unit = label.charAt(label.length() - 1);
      double number = Double.parseDouble(label.substring(0, label.length() - 1));
      double params = number * (unit == 'T' ? 1e12 : unit == 'B' ? 1e9 : unit == 'M' ? 1e6 : 1e3);
      return (long) (params * 0.6); // about 4.8 bits per parameter, like Q4_K_M
    } catch (RuntimeException e) {
      return 2_019_393_189L;
    }
  }

  private static String sha256(String text) {
    try {
      byte[] digest = MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
      StringBuilder hex = new StringBuilder(64);
      for (byte b : digest) {
        hex.append(Character.forDigit((b >> 4) & 0xF, 16)).append(Character.forDigit(b & 0xF, 16));
      }
      return hex.toString();
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
