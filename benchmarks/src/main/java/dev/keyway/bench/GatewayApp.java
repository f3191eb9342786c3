package dev.keyway.bench;

import java.util.LinkedHashMap;
import java.util.Map;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * Keyway's key-holding gateway (client-spring-boot-starter, {@code ollama.gateway.enabled=true})
 * as an application of its own, for scenario 5: Tomcat on a free loopback port, the upstream key
 * sent as {@code X-API-Key}, room for every concurrent stream (one servlet thread each, see
 * docs/soak.md). Prints {@code GATEWAY-PORT <port>} when it serves.
 */
@SpringBootConfiguration
@EnableAutoConfiguration
public class GatewayApp {
  public static void main(String[] args) {
    Map<String, Object> properties = new LinkedHashMap<>();
    properties.put("server.address", "127.0.0.1");
    properties.put("server.port", "0");
    properties.put("server.tomcat.threads.max", "512");
    properties.put("server.tomcat.accept-count", "512");
    properties.put("ollama.base-url", args[0]);
    properties.put("ollama.api-key", BenchClient.KEY);
    properties.put("ollama.api-key-header", "X-API-Key");
    properties.put("ollama.retry.max-retries", "0");
    properties.put("ollama.gateway.enabled", "true");
    properties.put("spring.main.banner-mode", "off");
    properties.put("logging.level.root", "WARN");
    SpringApplication app = new SpringApplication(GatewayApp.class);
    app.setDefaultProperties(properties);
    ConfigurableApplicationContext context = app.run();
    System.out.println("GATEWAY-PORT " + context.getEnvironment().getProperty("local.server.port"));
    System.out.flush();
  }
}
