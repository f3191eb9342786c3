package dev.keyway.startertests;

import dev.keyway.ollama.OllamaClient;
import dev.keyway.ollama.model.ChatRequest;
import dev.keyway.ollama.model.Message;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

/**
 * The smallest real user of the starter: a route that asks a protected Ollama with the key from
 * server configuration. Compiled unchanged against each supported Spring Boot line.
 */
@SpringBootApplication
@RestController
public class AskApplication {
  private final OllamaClient ollama;

  public AskApplication(OllamaClient ollama) {
    this.ollama = ollama;
  }

  public static void main(String[] args) {
    SpringApplication.run(AskApplication.class, args);
  }

  @GetMapping(value = "/ask", produces = "text/plain")
  public String ask(@RequestParam String q) {
    return ollama.chat(ChatRequest.builder().model("llama3.2").addMessage(Message.user(q)).build())
        .message().content();
  }
}
