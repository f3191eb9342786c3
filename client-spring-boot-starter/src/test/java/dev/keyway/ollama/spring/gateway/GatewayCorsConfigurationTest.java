package dev.keyway.ollama.spring.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import dev.keyway.ollama.spring.OllamaAutoConfiguration;
import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.runner.WebApplicationContextRunner;
import org.springframework.mock.web.MockHttpServletRequest;
import org.springframework.web.cors.CorsConfiguration;
import org.springframework.web.cors.CorsConfigurationSource;
import org.springframework.web.cors.UrlBasedCorsConfigurationSource;

/** The CORS configuration the starter hands to Spring Security: only when origins are listed, never over the user's. */
class GatewayCorsConfigurationTest {
  final WebApplicationContextRunner runner = new WebApplicationContextRunner()
      .withConfiguration(AutoConfigurations.of(OllamaAutoConfiguration.class, OllamaGatewayAutoConfiguration.class))
      .withPropertyValues("ollama.gateway.enabled=true");

  /** As Tomcat presents a request for the gateway's servlet (mapped to /llm/*) or the dispatcher (/). */
  static CorsConfiguration configFor(CorsConfigurationSource source, String path) {
    MockHttpServletRequest request = new MockHttpServletRequest("OPTIONS", path);
    if (path.equals("/llm") || path.startsWith("/llm/")) {
      request.setServletPath("/llm");
      request.setPathInfo(path.length() > 4 ? path.substring(4) : null);
    } else {
      request.setServletPath(path);
    }
    return source.getCorsConfiguration(request);
  }

  @Test
  void absentWithoutListedOrigins() {
    runner.run(context -> assertThat(context).hasBean("ollamaGateway")
        .doesNotHaveBean(GatewayCorsConfiguration.BEAN_NAME));
    runner.withPropertyValues("ollama.gateway.allowed-origins=")
        .run(context -> assertThat(context).doesNotHaveBean(GatewayCorsConfiguration.BEAN_NAME));
  }

  @Test
  void coversTheGatewaysPathWithCredentialsAndTheAuthorizationHeader() {
    runner.withPropertyValues("ollama.gateway.allowed-origins=https://app.example,http://localhost:5173/",
        "ollama.gateway.path=/llm/").run(context -> {
          CorsConfigurationSource source = context.getBean(GatewayCorsConfiguration.BEAN_NAME, CorsConfigurationSource.class);
          assertThat(source).isInstanceOf(UrlBasedCorsConfigurationSource.class);
          for (String path : new String[] {"/llm", "/llm/api/chat", "/llm/api/tags"}) {
            CorsConfiguration cors = configFor(source, path);
            assertThat(cors).as(path).isNotNull();
            assertThat(cors.getAllowedOrigins()).containsExactly("https://app.example", "http://localhost:5173");
            assertThat(cors.getAllowCredentials()).isTrue();
            assertThat(cors.getAllowedHeaders()).containsExactlyInAnyOrder("Authorization", "Content-Type");
            assertThat(cors.checkOrigin("https://evil.example")).isNull();
            assertThat(cors.checkOrigin("https://app.example")).isEqualTo("https://app.example");
          }
          assertThat(configFor(source, "/api/chat")).as("the application's own routes").isNull();
          assertThat(configFor(source, "/llmx/api/chat")).isNull();
        });
  }

  @Test
  void theApplicationsOwnBeanWins() {
    UrlBasedCorsConfigurationSource own = new UrlBasedCorsConfigurationSource();
    runner.withPropertyValues("ollama.gateway.allowed-origins=https://app.example")
        .withBean(GatewayCorsConfiguration.BEAN_NAME, UrlBasedCorsConfigurationSource.class, () -> own)
        .run(context -> assertThat(context.getBean(GatewayCorsConfiguration.BEAN_NAME)).isSameAs(own));
  }
}
