package dev.keyway.ollama.spring.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import dev.keyway.ollama.testkit.OllamaStandIn;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.core.env.Environment;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/** The gateway's own key is wrong: browsers get a 502 for the operator, never a 401, never the key. */
@SpringBootTest(classes = GatewayFixture.App.class,
    webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
    properties = {"ollama.gateway.enabled=true"})
class GatewayUpstreamKeyTest extends GatewayFixture {
  static final String WRONG_KEY = "kw-secret-wrong-upstream-99";
  @AutoClose static final OllamaStandIn OLLAMA = OllamaStandIn.builder().requireApiKey("kw-secret-the-right-key").build();

  @DynamicPropertySource
  static void upstream(DynamicPropertyRegistry registry) {
    upstream(registry, OLLAMA::baseUrl, WRONG_KEY);
  }

  @Test
  void upstream401Becomes502WithAMessageForTheOperator() throws Exception {
    HttpResponse<String> r = post("/api/chat", "{\"model\":\"llama3.2\"}");
    assertThat(r.statusCode()).isEqualTo(502);
    assertThat(r.body()).contains("ollama.api-key").doesNotContain(WRONG_KEY);
    assertThat(r.headers().map().toString()).doesNotContain(WRONG_KEY);
  }
}
