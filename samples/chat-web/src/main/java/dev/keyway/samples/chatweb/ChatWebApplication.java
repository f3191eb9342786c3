package dev.keyway.samples.chatweb;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.context.event.ApplicationReadyEvent;
import org.springframework.context.event.EventListener;
import org.springframework.core.env.Environment;

/**
 * A chat page whose server-side route holds the Ollama key. With no Ollama configured it talks to
 * Keyway's stand-in (see {@link DemoMode}); with OLLAMA_HOST / OLLAMA_API_KEY set, to the real one.
 */
@SpringBootApplication
public class ChatWebApplication {

  public static void main(String[] args) {
    SpringApplication.run(ChatWebApplication.class, args);
  }

  @EventListener
  void ready(ApplicationReadyEvent event) {
    Environment env = event.getApplicationContext().getEnvironment();
    System.out.println("Keyway chat is up: open http://localhost:" + env.getProperty("local.server.port") + "/");
  }
}
