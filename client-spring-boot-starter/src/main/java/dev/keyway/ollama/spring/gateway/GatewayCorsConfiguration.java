package dev.keyway.ollama.spring.gateway;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import jakarta.servlet.http.HttpServletRequest;
import org.jspecify.annotations.Nullable;
import org.springframework.boot.autoconfigure.condition.ConditionOutcome;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.SpringBootCondition;
import org.springframework.boot.context.properties.bind.Bindable;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.ConditionContext;
import org.springframework.context.annotation.Conditional;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.type.AnnotatedTypeMetadata;
import org.springframework.web.cors.CorsConfiguration;
import org.springframework.web.cors.UrlBasedCorsConfigurationSource;

/**
 * The CORS configuration Spring Security uses for the gateway's path, contributed when {@code
 * ollama.gateway.allowed-origins} lists origins.
 *
 * <p>A browser's preflight carries no credentials, so a security filter chain that requires
 * authentication would refuse it before the gateway could answer. Spring Security's {@code
 * HttpSecurity} applies {@code cors()} by itself when a {@link UrlBasedCorsConfigurationSource}
 * bean exists, and its {@code CorsFilter} takes the bean named {@value #BEAN_NAME}: preflights
 * from a listed origin are answered ahead of authentication, and other origins are refused there.
 * The configuration covers only {@code ollama.gateway.path} and its subpaths, allows credentials
 * and the {@code Authorization} and {@code Content-Type} headers.
 *
 * <p>An application that declares its own {@value #BEAN_NAME} bean keeps it (and must then add the
 * gateway's path to it); this one is not created.
 */
@Configuration(proxyBeanMethods = false)
@ConditionalOnClass(name = "org.springframework.web.cors.UrlBasedCorsConfigurationSource")
class GatewayCorsConfiguration {
  /** The bean name Spring Security's {@code CorsConfigurer} looks up. */
  static final String BEAN_NAME = "corsConfigurationSource";

  @Bean(BEAN_NAME)
  @ConditionalOnMissingBean(name = BEAN_NAME)
  @Conditional(OriginsListed.class)
  UrlBasedCorsConfigurationSource corsConfigurationSource(OllamaGatewayProperties properties) {
    CrossSiteGuard guard = new CrossSiteGuard(properties.getAllowedOrigins());
    CorsConfiguration cors = new CorsConfiguration();
    cors.setAllowedOrigins(new ArrayList<>(guard.allowedOrigins()));
    cors.setAllowedMethods(List.of("GET", "HEAD", "POST"));
    cors.setAllowedHeaders(List.of("Authorization", "Content-Type"));
    cors.setAllowCredentials(true);
    cors.setMaxAge(Duration.ofSeconds(CrossSiteGuard.MAX_AGE_SECONDS));
    return new GatewayPathSource(OllamaGatewayAutoConfiguration.prefix(properties), cors);
  }

  /**
   * Matches the gateway's path on the servlet path plus path info. The inherited pattern matching
   * would not do: for a servlet mapped to {@code /ollama/*}, Spring's parsed request path counts
   * {@code /ollama} as part of the context path, so {@code /ollama/**} never matches.
   */
  static final class GatewayPathSource extends UrlBasedCorsConfigurationSource {
    private final String prefix;
    private final CorsConfiguration cors;

    GatewayPathSource(String prefix, CorsConfiguration cors) {
      this.prefix = prefix;
      this.cors = cors;
      // Listed too, for code that reads getCorsConfigurations().
      registerCorsConfiguration(prefix, cors);
      registerCorsConfiguration(prefix + "/**", cors);
    }

    @Override
    public @Nullable CorsConfiguration getCorsConfiguration(HttpServletRequest request) {
      String path = request.getServletPath() + (request.getPathInfo() == null ? "" : request.getPathInfo());
      return path.equals(prefix) || path.startsWith(prefix + "/") ? cors : null;
    }
  }

  /** {@code ollama.gateway.allowed-origins} holds at least one entry. */
  static final class OriginsListed extends SpringBootCondition {
    @Override
    public ConditionOutcome getMatchOutcome(ConditionContext context, AnnotatedTypeMetadata metadata) {
      List<String> origins = Binder.get(context.getEnvironment())
          .bind("ollama.gateway.allowed-origins", Bindable.listOf(String.class)).orElse(List.of());
      return origins.isEmpty()
          ? ConditionOutcome.noMatch("ollama.gateway.allowed-origins is empty")
          : ConditionOutcome.match("ollama.gateway.allowed-origins lists " + origins.size() + " origin(s)");
    }
  }
}
