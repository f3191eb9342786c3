package dev.keyway.samples.chatweb;

import dev.keyway.ollama.OllamaClient;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.context.event.ApplicationReadyEvent;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.event.EventListener;
import org.springframework.core.env.Environment;

/**
 * A chat page whose server-side route holds the Ollama key ({@link ChatController}), and Keyway's
 * key-holding gateway behind Spring Security ({@link SecurityConfig}).
 *
 * <p>The {@code OllamaClient} bean comes from Keyway's starter: {@code OLLAMA_HOST} (or {@code
 * ollama.base-url}), {@code OLLAMA_API_KEY} and {@code OLLAMA_API_KEY_HEADER}. With no Ollama
 * configured it talks to Keyway's stand-in ({@link DemoMode}). {@code PORT} changes the port
 * (8080), {@code CHAT_MODEL} the default model (llama3.2), {@code CHAT_MODELS} the others a
 * browser may pick. It listens on loopback only; {@code SERVER_ADDRESS=0.0.0.0} opens it to the
 * network (put it behind a TLS proxy then: docs/security.md).
 */
@SpringBootApplication
@EnableConfigurationProperties(ChatProperties.class)
public class ChatWebApplication {
  private static final Logger LOG = LoggerFactory.getLogger(ChatWebApplication.class);

  public static void main(String[] args) {
    SpringApplication.run(ChatWebApplication.class, args);
  }

  @EventListener
  void ready(ApplicationReadyEvent event) {
    Environment env = event.getApplicationContext().getEnvironment();
    OllamaClient ollama = event.getApplicationContext().getBean(OllamaClient.class);
    boolean demo = env.getProperty(DemoMode.DEMO, Boolean.class, false);
    String address = env.getProperty("server.address", "0.0.0.0");
    String host = address.equals("0.0.0.0") || address.equals("::") ? "localhost"
        : address.contains(":") ? "[" + address + "]" : address;
    LOG.info("Keyway chat is up: open http://{}:{}/ (listening on {}; Ollama: {}{})",
        host, env.getProperty("local.server.port"), address, ollama.baseUrl(),
        demo ? ", demo mode: scripted answers from Keyway's stand-in" : "");
  }
}
