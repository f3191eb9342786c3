package dev.keyway.startertests;

import static org.assertj.core.api.Assertions.assertThat;

import dev.keyway.ollama.OllamaClient;
import dev.keyway.ollama.OllamaServers;
import dev.keyway.ollama.spring.OllamaAutoConfiguration;
import dev.keyway.ollama.spring.actuate.OllamaHealthAutoConfiguration;
import dev.keyway.ollama.testkit.OllamaStandIn;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

/**
 * Two servers bound from {@code ollama.servers[i].*} on this module's Boot line, and the health
 * indicator of that line (Boot 3's and Boot 4's live in different packages, so it is read through
 * the two methods both lines' {@code Health} share) showing each server; one rejects its key.
 */
class ServersBootLineTest {
  static final String KEY_A = "kw-secret-bootline-servers-a";
  static final String KEY_B = "kw-secret-bootline-servers-b";

  final OllamaStandIn a = OllamaStandIn.builder().requireApiKey(KEY_A).build();
  final OllamaStandIn b = OllamaStandIn.builder().requireBearer(KEY_B).build();

  @AfterEach
  void stop() {
    a.close();
    b.close();
  }

  @Test
  void twoServersBindFromPropertiesAndHealthShowsEach() {
    new ApplicationContextRunner()
        .withConfiguration(AutoConfigurations.of(OllamaAutoConfiguration.class, OllamaHealthAutoConfiguration.class))
        .withPropertyValues(
            "ollama.servers[0].name=a", "ollama.servers[0].base-url=" + a.baseUrl(),
            "ollama.servers[0].api-key=" + KEY_A, "ollama.servers[0].api-key-header=X-API-Key",
            "ollama.servers[1].name=b", "ollama.servers[1].base-url=" + b.baseUrl(),
            "ollama.servers[1].api-key=kw-secret-bootline-wrong-b")
        .run(context -> {
          OllamaServers servers = context.getBean(OllamaServers.class);
          assertThat(context.getBean(OllamaClient.class)).isSameAs(servers);
          servers.refresh();
          Object indicator = context.getBean("ollamaHealthIndicator");
          Object health = indicator.getClass().getMethod("health").invoke(indicator);
          Object status = health.getClass().getMethod("getStatus").invoke(health);
          Map<?, ?> details = (Map<?, ?>) health.getClass().getMethod("getDetails").invoke(health);
          assertThat(status).hasToString("UP");
          Map<?, ?> each = (Map<?, ?>) details.get("servers");
          assertThat(List.<Object>copyOf(each.keySet())).containsExactly("a", "b");
          assertThat(((Map<?, ?>) each.get("a")).get("status")).isEqualTo("UP");
          assertThat(((Map<?, ?>) each.get("b")).get("status")).isEqualTo("DOWN");
          assertThat(((Map<?, ?>) each.get("b")).get("reason")).isEqualTo("credential rejected (401)");
          assertThat(details.toString()).doesNotContain("kw-secret");
        });
  }
}
