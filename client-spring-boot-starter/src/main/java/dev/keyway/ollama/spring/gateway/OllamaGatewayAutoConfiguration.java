package dev.keyway.ollama.spring.gateway;

import dev.keyway.ollama.OllamaClient;
import dev.keyway.ollama.spring.OllamaAutoConfiguration;
import org.springframework.beans.factory.ListableBeanFactory;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnWebApplication;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.web.servlet.FilterRegistrationBean;
import org.springframework.boot.web.servlet.ServletRegistrationBean;
import org.springframework.context.ApplicationEventPublisher;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.Import;
import org.springframework.core.Ordered;
import org.springframework.core.env.Environment;
import org.springframework.core.io.ResourceLoader;
import org.springframework.security.web.firewall.HttpFirewall;
import org.springframework.security.web.firewall.RequestRejectedHandler;
import org.springframework.security.web.firewall.StrictHttpFirewall;

/**
 * The opt-in key-holding gateway ({@code ollama.gateway.enabled=true}): Ollama's own API under
 * {@code ollama.gateway.path}, for browser code or any unmodified Ollama client, with the key kept
 * on the server. Put it behind the application's security rules.
 *
 * <p>With {@code ollama.gateway.allowed-origins} set it also contributes the CORS configuration
 * Spring Security uses for the gateway's path ({@link GatewayCorsConfiguration}). With
 * {@code ollama.limits.enabled=true} model calls pass the usage limits first
 * ({@link OllamaLimitsAutoConfiguration}).
 *
 * <p>Every refusal on the gateway's path, including Spring Security's 401 and 403 and refused CORS
 * requests, is published as an {@code AuditApplicationEvent} of type {@code OLLAMA_GATEWAY_DENIED}
 * (when Spring Boot's actuator is present) and counted as {@code ollama.gateway.denied} tagged by
 * reason (when Micrometer is): {@link GatewayDenials}, {@link GatewayDenialFilter}.
 */
@AutoConfiguration(after = OllamaAutoConfiguration.class)
@ConditionalOnWebApplication(type = ConditionalOnWebApplication.Type.SERVLET)
@ConditionalOnClass(name = "jakarta.servlet.http.HttpServlet")
@ConditionalOnProperty(prefix = "ollama.gateway", name = "enabled", havingValue = "true")
@ConditionalOnBean(OllamaClient.class)
@EnableConfigurationProperties(OllamaGatewayProperties.class)
@Import(GatewayCorsConfiguration.class)
public class OllamaGatewayAutoConfiguration {

  /** Ahead of Spring Security's filter chain (-100) and Spring MVC's CORS filter, so it sees their refusals. */
  static final int DENIAL_FILTER_ORDER = Ordered.HIGHEST_PRECEDENCE + 10;

  @Bean
  GatewayDenials ollamaGatewayDenials(ObjectProvider<CallerResolver> resolver, ApplicationEventPublisher events,
      ListableBeanFactory beans, ResourceLoader resources, Environment environment) {
    ClassLoader loader = resources.getClassLoader();
    return new GatewayDenials(DenialEvents.sinks(loader != null ? loader : getClass().getClassLoader(), events, beans),
        resolver.getIfAvailable(), CallerHash.of(environment));
  }

  @Bean
  ServletRegistrationBean<OllamaGatewayServlet> ollamaGateway(OllamaClient client, OllamaGatewayProperties properties,
      ObjectProvider<GatewayLimits> limits, GatewayDenials denials) {
    ServletRegistrationBean<OllamaGatewayServlet> registration = new ServletRegistrationBean<>(
        new OllamaGatewayServlet(client, properties, limits.getIfAvailable(), denials), prefix(properties) + "/*");
    registration.setName("ollamaGateway");
    return registration;
  }

  /** Tells the refusals written before the servlet has the request (security, CORS). */
  @Bean
  FilterRegistrationBean<GatewayDenialFilter> ollamaGatewayDenialFilter(OllamaGatewayProperties properties,
      GatewayDenials denials) {
    FilterRegistrationBean<GatewayDenialFilter> registration = new FilterRegistrationBean<>(
        new GatewayDenialFilter(denials, new CrossSiteGuard(properties.getAllowedOrigins())));
    registration.addUrlPatterns(prefix(properties) + "/*");
    registration.setName("ollamaGatewayDenials");
    registration.setOrder(DENIAL_FILTER_ORDER);
    registration.setEnabled(denials.tells());
    return registration;
  }

  /**
   * Spring Security's firewall on the gateway's path ahead of Spring Security, when the application
   * has Spring Security's web module ({@link GatewayFirewallFilter}): a path such as
   * {@code //ollama/api/chat} is answered 400, not 500 with a stack trace.
   */
  @Configuration(proxyBeanMethods = false)
  @ConditionalOnClass(name = "org.springframework.security.web.firewall.StrictHttpFirewall")
  static class Firewall {
    @Bean
    FilterRegistrationBean<GatewayFirewallFilter> ollamaGatewayFirewall(OllamaGatewayProperties properties,
        ObjectProvider<HttpFirewall> firewall, ObjectProvider<RequestRejectedHandler> handler) {
      FilterRegistrationBean<GatewayFirewallFilter> registration = new FilterRegistrationBean<>(
          new GatewayFirewallFilter(firewall.getIfUnique(StrictHttpFirewall::new), handler.getIfUnique()));
      registration.addUrlPatterns(prefix(properties) + "/*");
      registration.setName("ollamaGatewayFirewall");
      registration.setOrder(DENIAL_FILTER_ORDER + 1); // inside the denial filter: its 400 is audited
      return registration;
    }
  }

  /** The gateway's path without a trailing slash, for example {@code /ollama}. */
  static String prefix(OllamaGatewayProperties properties) {
    String path = properties.getPath();
    return path.endsWith("/") ? path.substring(0, path.length() - 1) : path;
  }
}
