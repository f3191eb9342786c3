package dev.keyway.samples.chatweb;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.keyway.ollama.OllamaAuthenticationException;
import dev.keyway.ollama.OllamaClient;
import dev.keyway.ollama.OllamaException;
import dev.keyway.ollama.OllamaModelNotFoundException;
import dev.keyway.ollama.OllamaStream;
import dev.keyway.ollama.OllamaTransportException;
import dev.keyway.ollama.model.ChatRequest;
import dev.keyway.ollama.model.ChatResponse;
import dev.keyway.ollama.model.Message;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.io.OutputStream;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RestController;

/**
 * The application's own chat route, written with the injected {@link OllamaClient}: the browser
 * sends a prompt, the server adds the key, and tokens stream back as NDJSON events. When the
 * browser stops reading (the Stop button aborts the fetch), the write fails and closing the
 * {@link OllamaStream} cancels generation upstream.
 */
@RestController
class ChatController {
  private static final ObjectMapper JSON = new ObjectMapper();

  private final OllamaClient ollama;
  private final boolean demo;
  private final String model;

  ChatController(OllamaClient ollama, @Value("${keyway.demo:false}") boolean demo,
      @Value("${chat.model:llama3.2}") String model) {
    this.ollama = ollama;
    this.demo = demo;
    this.model = model;
  }

  /** What the page shows in its banner. Never the key. */
  @GetMapping("/api/info")
  Map<String, Object> info() {
    Map<String, Object> info = new LinkedHashMap<>();
    info.put("demo", demo);
    info.put("model", model);
    info.put("baseUrl", ollama.baseUrl());
    return info;
  }

  record ChatInput(String prompt, List<Turn> history) {}

  record Turn(String role, String content) {}

  @PostMapping("/api/chat")
  void chat(@RequestBody ChatInput input, HttpServletResponse response) throws IOException {
    response.setContentType("application/x-ndjson");
    response.setHeader("X-Accel-Buffering", "no");
    response.setHeader("Cache-Control", "no-cache");
    OutputStream out = response.getOutputStream();
    ChatRequest.Builder request = ChatRequest.builder().model(model);
    if (input.history() != null) {
      for (Turn turn : input.history()) {
        request.addMessage(Message.builder().role(turn.role()).content(turn.content()).build());
      }
    }
    request.addMessage(Message.user(input.prompt() == null ? "" : input.prompt()));
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
      ChatResponse whole = stream.result();
      send(out, event("done", "tokens", whole.evalCount() == null ? 0 : whole.evalCount()));
    } catch (OllamaException e) {
      send(out, event("error", "message", explain(e)));
    }
    // An IOException (the browser went away) propagates after try-with-resources closed the
    // stream, which cancelled the upstream call.
  }

  private String explain(OllamaException e) {
    if (e instanceof OllamaAuthenticationException) {
      return "The server's Ollama credential was rejected: check ollama.api-key (OLLAMA_API_KEY)"
          + " and ollama.api-key-header.";
    }
    if (e instanceof OllamaModelNotFoundException missing) {
      return "Model '" + missing.model() + "' is not available on the server: ollama pull " + missing.model();
    }
    if (e instanceof OllamaTransportException) {
      return "Ollama is unreachable at " + ollama.baseUrl() + ".";
    }
    return "Ollama failed: " + e.getMessage();
  }

  private static Map<String, Object> event(String type, String key, Object value) {
    Map<String, Object> event = new LinkedHashMap<>();
    event.put("type", type);
    event.put(key, value);
    return event;
  }

  private static void send(OutputStream out, Map<String, Object> event) throws IOException {
    out.write(JSON.writeValueAsBytes(event));
    out.write('\n');
    out.flush();
  }
}
