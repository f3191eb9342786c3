package dev.keyway.ollama.spring.gateway;

import dev.keyway.ollama.OllamaClient;
import dev.keyway.ollama.spring.OllamaAutoConfiguration;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnWebApplication;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.web.servlet.ServletRegistrationBean;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Import;

/**
 * The opt-in key-holding gateway ({@code ollama.gateway.enabled=true}): Ollama's own API under
 * {@code ollama.gateway.path}, for browser code or any unmodified Ollama client, with the key kept
 * on the server. Put it behind the application's security rules.
 *
 * <p>With {@code ollama.gateway.allowed-origins} set it also contributes the CORS configuration
 * Spring Security uses for the gateway's path ({@link GatewayCorsConfiguration}). With
 * {@code ollama.limits.enabled=true} model calls pass the usage limits first
 * ({@link OllamaLimitsAutoConfiguration}).
 */
@AutoConfiguration(after = OllamaAutoConfiguration.class)
@ConditionalOnWebApplication(type = ConditionalOnWebApplication.Type.SERVLET)
@ConditionalOnClass(name = "jakarta.servlet.http.HttpServlet")
@ConditionalOnProperty(prefix = "ollama.gateway", name = "enabled", havingValue = "true")
@ConditionalOnBean(OllamaClient.class)
@EnableConfigurationProperties(OllamaGatewayProperties.class)
@Import(GatewayCorsConfiguration.class)
public class OllamaGatewayAutoConfiguration {

  @Bean
  ServletRegistrationBean<OllamaGatewayServlet> ollamaGateway(
      OllamaClient client, OllamaGatewayProperties properties, ObjectProvider<GatewayLimits> limits) {
    ServletRegistrationBean<OllamaGatewayServlet> registration = new ServletRegistrationBean<>(
        new OllamaGatewayServlet(client, properties, limits.getIfAvailable()), prefix(properties) + "/*");
    registration.setName("ollamaGateway");
    return registration;
  }

  /** The gateway's path without a trailing slash, for example {@code /ollama}. */
  static String prefix(OllamaGatewayProperties properties) {
    String path = properties.getPath();
    return path.endsWith("/") ? path.substring(0, path.length() - 1) : path;
  }
}
