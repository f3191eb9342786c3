package dev.keyway.ollama.spring.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import dev.keyway.ollama.OllamaClient;
import dev.keyway.ollama.testkit.OllamaStandIn;
import dev.keyway.ollama.testkit.ScriptedModel;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.net.http.HttpResponse;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * The gateway works with any {@link OllamaClient} bean, here the application's own delegating
 * decorator (a JDK proxy, as an AOP or metrics wrapper would be), not only with the builder's.
 */
@SpringBootTest(classes = {GatewayFixture.App.class, GatewayClientDecoratorTest.Decorated.class},
    webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT, properties = "ollama.gateway.enabled=true")
class GatewayClientDecoratorTest extends GatewayFixture {
  static final String KEY = "kw-secret-decorated-client";
  @AutoClose static final OllamaStandIn OLLAMA = OllamaStandIn.builder().requireApiKey(KEY)
      .model(ScriptedModel.named("llama3.2").answer("Decorated and relayed.")).build();

  @DynamicPropertySource
  static void upstream(DynamicPropertyRegistry registry) {
    upstream(registry, OLLAMA::baseUrl, KEY);
  }

  @Configuration(proxyBeanMethods = false)
  static class Decorated {
    final AtomicInteger passThroughCalls = new AtomicInteger();

    @Bean
    OllamaClient ollamaClient() {
      OllamaClient real = OllamaClient.builder().baseUrl(OLLAMA.baseUrl()).apiKey(KEY).maxRetries(0).build();
      return (OllamaClient) Proxy.newProxyInstance(OllamaClient.class.getClassLoader(),
          new Class<?>[] {OllamaClient.class}, (proxy, method, args) -> {
            if (method.getName().equals("passThrough")) {
              passThroughCalls.incrementAndGet();
            }
            try {
              return method.invoke(real, args);
            } catch (InvocationTargetException e) {
              throw e.getCause();
            }
          });
    }
  }

  @Autowired Decorated decorated;

  @Test
  void aDecoratedClientBeanServesTheGateway() throws Exception {
    HttpResponse<String> chat = post("/api/chat",
        "{\"model\":\"llama3.2\",\"stream\":false,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}");
    assertThat(chat.statusCode()).isEqualTo(200);
    assertThat(JSON.readTree(chat.body()).get("message").get("content").asText()).isEqualTo("Decorated and relayed.");
    HttpResponse<String> streamed = post("/api/chat",
        "{\"model\":\"llama3.2\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}");
    assertThat(streamed.body().split("\n").length).isGreaterThan(2);
    assertThat(get("/api/tags").statusCode()).isEqualTo(200);
    assertThat(decorated.passThroughCalls.get()).isEqualTo(3);
    assertThat(lastRequest(OLLAMA).header("Authorization") + lastRequest(OLLAMA).header("X-API-Key")).contains(KEY);
  }
}
