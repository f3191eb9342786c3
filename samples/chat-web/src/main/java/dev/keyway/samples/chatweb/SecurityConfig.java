package dev.keyway.samples.chatweb;

import java.security.SecureRandom;
import java.util.HexFormat;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.security.config.Customizer;
import org.springframework.security.config.annotation.web.builders.HttpSecurity;
import org.springframework.security.core.userdetails.User;
import org.springframework.security.core.userdetails.UserDetailsService;
import org.springframework.security.crypto.factory.PasswordEncoderFactories;
import org.springframework.security.provisioning.InMemoryUserDetailsManager;
import org.springframework.security.web.SecurityFilterChain;

/**
 * The key-holding gateway ({@code ollama.gateway.enabled=true}, under {@code ollama.gateway.path})
 * is an open door to a GPU, so it requires a signed-in user: HTTP Basic against one in-memory user
 * whose password is generated at every start and logged (there is no secret in the code).
 *
 * <p>The page, its static files and its own routes ({@code /api/chat}, {@code /api/info}) stay open
 * so that the demo runs without a login. A real application protects them the same way: {@code
 * .anyRequest().authenticated()} with its own login (form, OAuth2, …) and CSRF protection kept on
 * for the routes that a session cookie authorizes.
 */
@Configuration(proxyBeanMethods = false)
class SecurityConfig {
  static final String GATEWAY_USER = "gateway";
  private static final Logger LOG = LoggerFactory.getLogger(SecurityConfig.class);

  @Bean
  SecurityFilterChain security(HttpSecurity http,
      @Value("${ollama.gateway.path:/ollama}") String gatewayPath) throws Exception {
    String gateway = (gatewayPath.endsWith("/") ? gatewayPath : gatewayPath + "/") + "**";
    return http
        .authorizeHttpRequests(auth -> auth
            .requestMatchers(gateway).authenticated()
            // Open for the demo only; see the class comment.
            .anyRequest().permitAll())
        .httpBasic(Customizer.withDefaults())
        // The open JSON routes and the gateway take no cookie-based authority in this sample, so
        // there is nothing for a cross-site request to borrow; a real application with a session
        // login keeps CSRF protection on its own routes.
        .csrf(csrf -> csrf.ignoringRequestMatchers("/api/**", gateway))
        .build();
  }

  /** The gateway's one user; the password is random per start and only ever logged. */
  record GatewayLogin(String username, String password) {
    @Override
    public String toString() {
      return "GatewayLogin[" + username + "]";
    }
  }

  @Bean
  GatewayLogin gatewayLogin() {
    byte[] bytes = new byte[18];
    new SecureRandom().nextBytes(bytes);
    return new GatewayLogin(GATEWAY_USER, HexFormat.of().formatHex(bytes));
  }

  @Bean
  InMemoryUserDetailsManager users(GatewayLogin login) {
    LOG.warn("Gateway login (HTTP Basic, generated at this start): user '{}', password {}",
        login.username(), login.password());
    return new InMemoryUserDetailsManager(User.withUsername(login.username())
        .password(PasswordEncoderFactories.createDelegatingPasswordEncoder().encode(login.password()))
        .roles("OLLAMA")
        .build());
  }
}
