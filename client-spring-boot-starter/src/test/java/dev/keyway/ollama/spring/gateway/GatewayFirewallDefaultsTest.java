package dev.keyway.ollama.spring.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import dev.keyway.ollama.testkit.OllamaStandIn;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.context.annotation.Bean;
import org.springframework.security.config.annotation.web.builders.HttpSecurity;
import org.springframework.security.web.SecurityFilterChain;
import org.springframework.security.web.firewall.StrictHttpFirewall;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * Spring Security without a {@code RequestRejectedHandler} (whose default rethrows, a 500): the
 * gateway's path answers a refused request 400 with Ollama's error shape. The firewall is the
 * application's own {@code HttpFirewall} bean, the one Spring Security uses: here it accepts only
 * GET and POST, so a DELETE on the gateway's path is refused too.
 */
@SpringBootTest(classes = GatewayFirewallDefaultsTest.App.class,
    webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT, properties = "ollama.gateway.enabled=true")
@Timeout(30)
class GatewayFirewallDefaultsTest extends GatewayFixture {
  static final String KEY = "kw-secret-firewall-defaults-2236";
  @AutoClose static final OllamaStandIn OLLAMA = OllamaStandIn.builder().requireApiKey(KEY).build();

  @SpringBootConfiguration
  @EnableAutoConfiguration
  static class App {
    @Bean
    SecurityFilterChain security(HttpSecurity http) throws Exception {
      return http.authorizeHttpRequests(auth -> auth.anyRequest().permitAll()).csrf(csrf -> csrf.disable()).build();
    }

    @Bean
    StrictHttpFirewall firewall() {
      StrictHttpFirewall firewall = new StrictHttpFirewall();
      firewall.setAllowedHttpMethods(List.of("GET", "POST"));
      return firewall;
    }
  }

  @DynamicPropertySource
  static void upstream(DynamicPropertyRegistry registry) {
    upstream(registry, OLLAMA::baseUrl, KEY);
  }

  @Test
  void aRefusedPathIs400InOllamasErrorShape() throws Exception {
    int upstreamBefore = OLLAMA.requestCount();
    String answer = rawGet("//ollama/api/tags");
    assertThat(answer).startsWith("HTTP/1.1 400 ").contains("Content-Type: application/json")
        .endsWith("{\"error\":\"" + GatewayFirewallFilter.MESSAGE + "\"}");
    assertThat(OLLAMA.requestCount()).isEqualTo(upstreamBefore);
  }

  @Test
  void theApplicationsFirewallDecides() throws Exception {
    int upstreamBefore = OLLAMA.requestCount();
    HttpResponse<String> delete = http.send(HttpRequest.newBuilder(uri("/api/delete"))
        .method("DELETE", HttpRequest.BodyPublishers.ofString("{\"model\":\"llama3.2\"}")).build(),
        HttpResponse.BodyHandlers.ofString());
    assertThat(delete.statusCode()).isEqualTo(400);
    assertThat(delete.body()).isEqualTo("{\"error\":\"" + GatewayFirewallFilter.MESSAGE + "\"}");
    assertThat(OLLAMA.requestCount()).isEqualTo(upstreamBefore);
    assertThat(get("/api/tags").statusCode()).isEqualTo(200);
    assertThat(OLLAMA.requestCount()).isEqualTo(upstreamBefore + 1);
  }
}
