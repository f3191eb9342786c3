package dev.keyway.samples.chatweb;

import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.HexFormat;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.security.config.Customizer;
import org.springframework.security.config.annotation.web.builders.HttpSecurity;
import org.springframework.security.config.http.SessionCreationPolicy;
import org.springframework.security.core.userdetails.User;
import org.springframework.security.crypto.factory.PasswordEncoderFactories;
import org.springframework.security.provisioning.InMemoryUserDetailsManager;
import org.springframework.security.web.SecurityFilterChain;
import org.springframework.security.web.csrf.CookieCsrfTokenRepository;
import org.springframework.security.web.firewall.RequestRejectedException;
import org.springframework.security.web.firewall.RequestRejectedHandler;
import org.springframework.security.web.savedrequest.NullRequestCache;

/**
 * The key-holding gateway ({@code ollama.gateway.enabled=true}, under {@code ollama.gateway.path})
 * is an open door to a GPU, so it requires a signed-in user: HTTP Basic against one in-memory user
 * whose password is generated at every start and logged (there is no secret in the code).
 *
 * <p>The gateway is an API authenticated on every request, so nothing here keeps state per client:
 * no HTTP session, no saved request, no session-held CSRF token. (With Spring Security's defaults,
 * every anonymous request under the gateway created a session holding a copy of the request, kept
 * 30 minutes: a few tens of thousands of requests ran the heap out.)
 *
 * <p>CSRF: the gateway takes no CSRF token (unmodified Ollama clients could not send one), and is
 * still safe from cross-site requests that borrow a browser's cached Basic credentials: the gateway
 * itself refuses any {@code Origin} that is neither its own nor listed in {@code
 * ollama.gateway.allowed-origins}, and any POST body that is not {@code application/json}, which
 * no cross-site form can send (docs/security.md). CORS for listed origins comes from the starter,
 * which Spring Security picks up by itself.
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
        // Authenticated per request: no session is created or used, no request is saved for later.
        .sessionManagement(session -> session.sessionCreationPolicy(SessionCreationPolicy.STATELESS))
        .requestCache(cache -> cache.requestCache(new NullRequestCache()))
        // The gateway checks Origin and Content-Type itself (see the class comment); the open JSON
        // routes carry no authority to borrow. Elsewhere CSRF stays on, with its token in a
        // cookie rather than a session, so that anonymous POSTs create no server state either.
        .csrf(csrf -> csrf.ignoringRequestMatchers("/api/**", gateway)
            .csrfTokenRepository(new CookieCsrfTokenRepository()))
        .build();
  }

  /**
   * Requests the firewall refuses ({@code //ollama/…}, {@code /./ollama/…}, {@code /ollama;x=1/…})
   * get a 400 and one DEBUG line, not a 500 and a stack trace at ERROR (a lever to flood the log).
   * Spring Security uses this bean for its own firewall, and the starter for the same firewall,
   * which it runs on the gateway's path ahead of Spring Security (whose request matching would
   * otherwise fail on such a path before its firewall runs).
   */
  @Bean
  RequestRejectedHandler requestRejectedHandler() {
    return (request, response, rejected) -> badRequest(request, response, rejected);
  }

  private static void badRequest(HttpServletRequest request, HttpServletResponse response,
      RequestRejectedException rejected) throws IOException {
    LOG.debug("Refused {} (firewall): {}", request.getMethod(), LogText.clean(String.valueOf(rejected.getMessage())));
    response.setStatus(HttpServletResponse.SC_BAD_REQUEST);
    response.setContentType("text/plain;charset=UTF-8");
    response.getOutputStream().write("400 bad request\n".getBytes(StandardCharsets.UTF_8));
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
