package dev.keyway.samples.chatweb;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.keyway.ollama.OllamaAuthenticationException;
import dev.keyway.ollama.OllamaClient;
import dev.keyway.ollama.OllamaException;
import dev.keyway.ollama.OllamaHttpException;
import dev.keyway.ollama.OllamaModelNotFoundException;
import dev.keyway.ollama.OllamaStream;
import dev.keyway.ollama.OllamaStreamException;
import dev.keyway.ollama.OllamaTransportException;
import dev.keyway.ollama.model.ChatRequest;
import dev.keyway.ollama.model.ChatResponse;
import dev.keyway.ollama.model.Message;
import dev.keyway.ollama.model.ModelOptions;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.io.OutputStream;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Objects;
import java.util.Map;
import java.util.Set;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.http.MediaType;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RestController;

/**
 * The application's own chat route, written with the injected {@link OllamaClient}: the browser
 * sends the conversation, the server adds the key (the client bean holds it), and the answer
 * streams back as NDJSON events, one line per token, flushed at once:
 *
 * <pre>
 * {"type":"thinking","text":"Let me"}      zero or more, when the model thinks aloud
 * {"type":"content","text":"Blue"}         the answer, token by token
 * {"type":"done","model":…,"doneReason":"stop","evalCount":12,…}   or
 * {"type":"error","message":"Model 'x' is not available — ollama pull x"}
 * </pre>
 *
 * <p>The handler writes on the request thread, so no async timeout cuts a long answer short. When
 * the browser aborts the fetch (the page's Stop button), the next write fails; try-with-resources
 * then closes the {@link OllamaStream}, which cancels the upstream call so Ollama stops generating.
 *
 * <p>The route is open to anyone who can reach the app, so it bounds what they can make it do: the
 * body is read up to {@code chat.max-request-size} (64 KiB) before it is parsed (413 beyond), the
 * model is one of {@code chat.model} / {@code chat.models}, and every answer is capped at {@code
 * chat.max-num-predict} tokens.
 *
 * <p>Error messages say what to fix and never contain the key, the upstream's address or its error
 * text: the page gets a fixed sentence, the server's log the details (one line, control characters
 * escaped, so that a model name or an upstream message cannot forge log lines).
 */
@RestController
class ChatController {
  static final MediaType NDJSON = MediaType.parseMediaType("application/x-ndjson;charset=UTF-8");
  private static final Logger LOG = LoggerFactory.getLogger(ChatController.class);
  private static final Set<String> ROLES =
      Set.of(Message.Role.SYSTEM, Message.Role.USER, Message.Role.ASSISTANT);
  private static final int MAX_MESSAGES = 200;
  static final String SEE_LOG = " The server's log has the details.";

  private final OllamaClient ollama;
  private final ObjectMapper json;
  private final boolean demo;
  private final ChatProperties settings;
  private final List<String> offered;

  ChatController(OllamaClient ollama, ObjectMapper json,
      @Value("${" + DemoMode.DEMO + ":false}") boolean demo, ChatProperties settings) {
    this.ollama = ollama;
    this.json = json;
    this.demo = demo;
    this.settings = settings;
    this.offered = settings.offered();
  }

  /** What the page shows in its banner and model picker: never the key, nor where Ollama is. */
  @GetMapping("/api/info")
  Map<String, Object> info() {
    Map<String, Object> info = new LinkedHashMap<>();
    info.put("demo", demo);
    info.put("model", offered.get(0));
    info.put("models", offered);
    return info;
  }

  /** The body the page posts; {@code model} may be left out for the configured default. */
  record ChatInput(@Nullable String model, @Nullable List<Turn> messages) {}

  /** One message of the conversation so far. */
  record Turn(@Nullable String role, @Nullable String content) {}

  @PostMapping(path = "/api/chat", consumes = MediaType.APPLICATION_JSON_VALUE)
  void chat(HttpServletRequest request, HttpServletResponse response) throws IOException {
    response.setContentType(NDJSON.toString());
    // Nginx and some other proxies buffer responses unless told not to: tokens would arrive in bursts.
    response.setHeader("X-Accel-Buffering", "no");
    response.setHeader("Cache-Control", "no-store");
    OutputStream out = response.getOutputStream();

    long limit = settings.maxRequestSize().toBytes();
    byte[] raw = request.getContentLengthLong() > limit ? null
        : request.getInputStream().readNBytes((int) Math.min(Integer.MAX_VALUE - 8, limit + 1));
    if (raw == null || raw.length > limit) {
      // Not read further: Tomcat drains at most max-swallow-size, then closes the connection.
      response.setHeader("Connection", "close");
      response.setStatus(HttpServletResponse.SC_REQUEST_ENTITY_TOO_LARGE);
      sendQuietly(out, event("error", "message", "The conversation is too long (at most "
          + settings.maxRequestSize().toKilobytes() + " KB)."));
      return;
    }
    ChatInput input;
    try {
      input = json.readValue(raw, ChatInput.class);
    } catch (IOException notOurJson) {
      input = null;
    }
    String problem = input == null ? "The body is not a chat request: {\"messages\":[{\"role\":…,\"content\":…}]}."
        : problem(input);
    if (input == null || problem != null) {
      response.setStatus(HttpServletResponse.SC_BAD_REQUEST);
      sendQuietly(out, event("error", "message", problem == null ? "Bad request." : problem));
      return;
    }
    String model = model(input);
    ChatRequest.Builder chat = ChatRequest.builder().model(model)
        .options(ModelOptions.builder().numPredict(settings.maxNumPredict()).build());
    // problem(input) has checked that the messages, and each one's role and content, are there.
    for (Turn turn : Objects.requireNonNull(input.messages())) {
      chat.addMessage(Message.builder().role(Objects.requireNonNull(turn.role()))
          .content(Objects.requireNonNull(turn.content())).build());
    }

    try (OllamaStream<ChatResponse> stream = ollama.chatStream(chat.build())) {
      for (ChatResponse chunk : stream) {
        String thinking = chunk.message().thinking();
        if (thinking != null && !thinking.isEmpty()) {
          send(out, event("thinking", "text", thinking));
        }
        if (!chunk.message().content().isEmpty()) {
          send(out, event("content", "text", chunk.message().content()));
        }
      }
      send(out, done(stream.result()));
    } catch (IOException browserWentAway) {
      // The stream is already closed (try-with-resources closes before catching): generation
      // stopped upstream. Nothing more can be written to this browser.
      LOG.debug("Browser stopped reading the answer; upstream call cancelled");
    } catch (OllamaException e) {
      LOG.warn("Chat with model '{}' failed: {}", LogText.clean(model), LogText.clean(String.valueOf(e.getMessage())));
      if (!response.isCommitted()) {
        response.setStatus(HttpServletResponse.SC_BAD_GATEWAY);
      }
      sendQuietly(out, event("error", "message", explain(e)));
    }
  }

  private String model(ChatInput input) {
    return input.model() == null || input.model().isBlank() ? offered.get(0) : input.model().strip();
  }

  private @Nullable String problem(ChatInput input) {
    List<Turn> messages = input.messages();
    if (messages == null || messages.isEmpty()) {
      return "Send at least one message.";
    }
    if (messages.size() > MAX_MESSAGES) {
      return "Too many messages (at most " + MAX_MESSAGES + ").";
    }
    for (Turn turn : messages) {
      if (turn == null || turn.role() == null || !ROLES.contains(turn.role())) {
        return "Each message needs a role: system, user or assistant.";
      }
      if (turn.content() == null) {
        return "Each message needs a content.";
      }
    }
    String model = model(input);
    if (!offered.contains(model)) {
      LOG.debug("Refused a chat with model '{}': not in chat.model / chat.models", LogText.clean(model));
      return "This model is not offered here; choose one of: " + String.join(", ", offered) + ".";
    }
    return null;
  }

  /** What the page shows: what happened and what to fix, never the key, the upstream's address or its words. */
  static String explain(OllamaException e) {
    if (e instanceof OllamaAuthenticationException) {
      return "The server's Ollama credential was rejected — check ollama.api-key (OLLAMA_API_KEY)"
          + " and ollama.api-key-header (OLLAMA_API_KEY_HEADER).";
    }
    if (e instanceof OllamaModelNotFoundException missing) {
      // The name is one of the configured models (anything else was refused before the call).
      return "Model '" + missing.model() + "' is not available — ollama pull " + missing.model();
    }
    if (e instanceof OllamaTransportException) {
      return "Ollama is unreachable — is it running? (set OLLAMA_HOST or ollama.base-url)" + SEE_LOG;
    }
    if (e instanceof OllamaStreamException) {
      return "The answer broke off." + SEE_LOG;
    }
    if (e instanceof OllamaHttpException http) {
      return "Ollama answered HTTP " + http.status() + "." + SEE_LOG;
    }
    return "Ollama failed." + SEE_LOG;
  }

  private static Map<String, Object> done(ChatResponse whole) {
    Map<String, Object> done = event("done", "model", whole.model());
    done.put("doneReason", whole.doneReason());
    done.put("promptEvalCount", whole.promptEvalCount());
    done.put("evalCount", whole.evalCount());
    done.put("totalDurationMs", millis(whole.totalDuration()));
    done.put("evalDurationMs", millis(whole.evalDuration()));
    return done;
  }

  private static @Nullable Long millis(@Nullable Duration duration) {
    return duration == null ? null : duration.toMillis();
  }

  private static Map<String, Object> event(String type, String key, @Nullable Object value) {
    Map<String, Object> event = new LinkedHashMap<>();
    event.put("type", type);
    event.put(key, value);
    return event;
  }

  private void send(OutputStream out, Map<String, Object> event) throws IOException {
    out.write(json.writeValueAsBytes(event));
    out.write('\n');
    out.flush();
  }

  private void sendQuietly(OutputStream out, Map<String, Object> event) {
    try {
      send(out, event);
    } catch (IOException browserWentAway) {
      LOG.debug("Browser went away before the error could be shown");
    }
  }
}
