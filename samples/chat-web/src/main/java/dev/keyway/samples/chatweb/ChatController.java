package dev.keyway.samples.chatweb;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.keyway.ollama.OllamaAuthenticationException;
import dev.keyway.ollama.OllamaClient;
import dev.keyway.ollama.OllamaException;
import dev.keyway.ollama.OllamaModelNotFoundException;
import dev.keyway.ollama.OllamaStream;
import dev.keyway.ollama.OllamaStreamException;
import dev.keyway.ollama.OllamaTransportException;
import dev.keyway.ollama.model.ChatRequest;
import dev.keyway.ollama.model.ChatResponse;
import dev.keyway.ollama.model.Message;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.io.OutputStream;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.http.MediaType;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
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
 * <p>Error messages say what to fix and never contain the key: exceptions from the client never
 * carry it, and the ones the page sees are written here.
 */
@RestController
class ChatController {
  static final MediaType NDJSON = MediaType.parseMediaType("application/x-ndjson;charset=UTF-8");
  private static final Logger LOG = LoggerFactory.getLogger(ChatController.class);
  private static final Set<String> ROLES =
      Set.of(Message.Role.SYSTEM, Message.Role.USER, Message.Role.ASSISTANT);
  private static final int MAX_MESSAGES = 200;
  private static final int MAX_CHARACTERS = 200_000;

  private final OllamaClient ollama;
  private final ObjectMapper json;
  private final boolean demo;
  private final String defaultModel;

  ChatController(
      OllamaClient ollama,
      ObjectMapper json,
      @Value("${" + DemoMode.DEMO + ":false}") boolean demo,
      @Value("${chat.model:llama3.2}") String defaultModel) {
    this.ollama = ollama;
    this.json = json;
    this.demo = demo;
    this.defaultModel = defaultModel;
  }

  /** What the page shows in its banner and footer: never the key. */
  @GetMapping("/api/info")
  Map<String, Object> info() {
    Map<String, Object> info = new LinkedHashMap<>();
    info.put("demo", demo);
    info.put("model", defaultModel);
    info.put("baseUrl", ollama.baseUrl());
    return info;
  }

  /** The body the page posts; {@code model} may be left out for the configured default. */
  record ChatInput(@Nullable String model, @Nullable List<Turn> messages) {}

  /** One message of the conversation so far. */
  record Turn(@Nullable String role, @Nullable String content) {}

  @PostMapping(path = "/api/chat", consumes = MediaType.APPLICATION_JSON_VALUE)
  void chat(@RequestBody ChatInput input, HttpServletResponse response) throws IOException {
    response.setContentType(NDJSON.toString());
    // Nginx and some other proxies buffer responses unless told not to: tokens would arrive in bursts.
    response.setHeader("X-Accel-Buffering", "no");
    response.setHeader("Cache-Control", "no-store");
    OutputStream out = response.getOutputStream();

    String problem = problem(input);
    if (problem != null) {
      response.setStatus(HttpServletResponse.SC_BAD_REQUEST);
      sendQuietly(out, event("error", "message", problem));
      return;
    }
    // A real application decides which models its users may run (the gateway has allowed-models).
    String model = input.model() == null || input.model().isBlank() ? defaultModel : input.model().strip();
    ChatRequest.Builder request = ChatRequest.builder().model(model);
    for (Turn turn : input.messages()) {
      request.addMessage(Message.builder().role(turn.role()).content(turn.content()).build());
    }

    try (OllamaStream<ChatResponse> stream = ollama.chatStream(request.build())) {
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
      LOG.warn("Chat with model '{}' failed: {}", model, e.getMessage());
      if (!response.isCommitted()) {
        response.setStatus(HttpServletResponse.SC_BAD_GATEWAY);
      }
      sendQuietly(out, event("error", "message", explain(e)));
    }
  }

  private @Nullable String problem(ChatInput input) {
    List<Turn> messages = input.messages();
    if (messages == null || messages.isEmpty()) {
      return "Send at least one message.";
    }
    if (messages.size() > MAX_MESSAGES) {
      return "Too many messages (at most " + MAX_MESSAGES + ").";
    }
    long characters = 0;
    for (Turn turn : messages) {
      if (turn == null || turn.role() == null || !ROLES.contains(turn.role())) {
        return "Each message needs a role: system, user or assistant.";
      }
      if (turn.content() == null) {
        return "Each message needs a content.";
      }
      characters += turn.content().length();
    }
    if (characters > MAX_CHARACTERS) {
      return "The conversation is too long (at most " + MAX_CHARACTERS + " characters).";
    }
    if (input.model() != null && input.model().length() > 200) {
      return "The model name is too long.";
    }
    return null;
  }

  /** What the page shows: what happened and what to fix, never the key. */
  private String explain(OllamaException e) {
    if (e instanceof OllamaAuthenticationException) {
      return "The server's Ollama credential was rejected — check ollama.api-key (OLLAMA_API_KEY)"
          + " and ollama.api-key-header (OLLAMA_API_KEY_HEADER).";
    }
    if (e instanceof OllamaModelNotFoundException missing) {
      return "Model '" + missing.model() + "' is not available — ollama pull " + missing.model();
    }
    if (e instanceof OllamaTransportException) {
      return "Ollama is unreachable at " + ollama.baseUrl()
          + " — is it running? (set OLLAMA_HOST or ollama.base-url)";
    }
    if (e instanceof OllamaStreamException broken) {
      return "The answer broke off: "
          + (broken.serverMessage() == null ? e.getMessage() : broken.serverMessage());
    }
    return "Ollama failed: " + e.getMessage();
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
