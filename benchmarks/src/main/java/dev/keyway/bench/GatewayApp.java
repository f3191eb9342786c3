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
 * docs/soak.md). Arguments: the upstream's base URL, then any number of {@code name=value}
 * properties added to (or overriding) these, e.g. {@code ollama.limits.enabled=true}. Prints
 * {@code GATEWAY-PORT <port>} when it serves.
 */
@SpringBootConfiguration
@EnableAutoConfiguration
public class GatewayApp {
  public static void main(String[] args) {
    ConfigurableApplicationContext context = start(args[0], java.util.Arrays.asList(args).subList(1, args.length));
    System.out.println("GATEWAY-PORT " + context.getEnvironment().getProperty("local.server.port"));
    System.out.flush();
  }

  /** Starts the gateway on {@code upstream} with {@code extra} {@code name=value} properties. */
  static ConfigurableApplicationContext start(String upstream, java.util.List<String> extra) {
    Map<String, Object> properties = new LinkedHashMap<>();
    properties.put("server.address", "127.0.0.1");
    properties.put("server.port", "0");
    properties.put("server.tomcat.threads.max", "512");
    properties.put("server.tomcat.accept-count", "512");
    properties.put("ollama.base-url", upstream);
    properties.put("ollama.api-key", BenchClient.KEY);
    properties.put("ollama.api-key-header", "X-API-Key");
    properties.put("ollama.retry.max-retries", "0");
    properties.put("ollama.gateway.enabled", "true");
    properties.put("spring.main.banner-mode", "off");
    properties.put("logging.level.root", "WARN");
    for (String property : extra) {
      int eq = property.indexOf('=');
      properties.put(property.substring(0, eq), property.substring(eq + 1));
    }
    SpringApplication app = new SpringApplication(GatewayApp.class);
    // -Dbench.gatewayJvm=-Dbench.connector=socket.bufferPool=-1,...: Tomcat connector properties
    // Spring Boot has no property for, set on the gateway's connector
    String connector = System.getProperty("bench.connector", "").trim();
    if (!connector.isEmpty()) {
      app.addInitializers(context -> context.getBeanFactory().registerSingleton("benchConnector",
          (org.springframework.boot.tomcat.TomcatConnectorCustomizer) c -> {
            for (String setting : connector.split(",")) {
              int eq = setting.indexOf('=');
              if (!c.setProperty(setting.substring(0, eq), setting.substring(eq + 1))) {
                throw new IllegalArgumentException("Tomcat's connector has no property " + setting);
              }
            }
          }));
    }
    app.setDefaultProperties(properties);
    return app.run();
  }
}
