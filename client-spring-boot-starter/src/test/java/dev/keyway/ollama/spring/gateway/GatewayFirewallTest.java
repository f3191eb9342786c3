package dev.keyway.ollama.spring.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import dev.keyway.ollama.testkit.OllamaStandIn;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.context.annotation.Bean;
import org.springframework.security.config.Customizer;
import org.springframework.security.config.annotation.web.builders.HttpSecurity;
import org.springframework.security.config.http.SessionCreationPolicy;
import org.springframework.security.core.userdetails.User;
import org.springframework.security.provisioning.InMemoryUserDetailsManager;
import org.springframework.security.web.SecurityFilterChain;
import org.springframework.security.web.csrf.CookieCsrfTokenRepository;
import org.springframework.security.web.firewall.HttpStatusRequestRejectedHandler;
import org.springframework.security.web.firewall.RequestRejectedHandler;
import org.springframework.security.web.savedrequest.NullRequestCache;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * The README's recipe behind Spring Security, as a user copies it: paths Spring Security's firewall
 * refuses ({@code //}, {@code /./}, {@code ;}, an encoded {@code .}) on the gateway's path answered
 * 500 with a stack trace at ERROR each, because Spring Security's request matching parsed them
 * before its firewall ran. The starter's {@link GatewayFirewallFilter} refuses them first: 400 from
 * the application's {@code RequestRejectedHandler}, nothing at ERROR, nothing upstream, one
 * {@code bad-request} denial each.
 */
@ExtendWith(OutputCaptureExtension.class)
@SpringBootTest(classes = {GatewayFirewallTest.App.class, DenialProbe.Beans.class},
    webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
    properties = {"ollama.gateway.enabled=true", "ollama.gateway.allowed-models=llama3.2"})
@Timeout(30)
class GatewayFirewallTest extends DenialFixture {
  static final String KEY = "kw-secret-firewall-1618";
  static final String LOGIN = "Authorization: Basic "
      + Base64.getEncoder().encodeToString("alice:pw-alice-1414".getBytes(StandardCharsets.UTF_8));
  @AutoClose static final OllamaStandIn OLLAMA = OllamaStandIn.builder().requireApiKey(KEY).build();

  /** The README's security recipe, word for word, and a user. */
  @SpringBootConfiguration
  @EnableAutoConfiguration
  static class App {
    @Bean
    SecurityFilterChain security(HttpSecurity http) throws Exception {
      return http
          .authorizeHttpRequests(auth -> auth.requestMatchers("/ollama/**").authenticated()
              .anyRequest().permitAll())
          .httpBasic(Customizer.withDefaults())
          .sessionManagement(s -> s.sessionCreationPolicy(SessionCreationPolicy.STATELESS))
          .requestCache(cache -> cache.requestCache(new NullRequestCache()))
          .csrf(csrf -> csrf.ignoringRequestMatchers("/ollama/**")
              .csrfTokenRepository(new CookieCsrfTokenRepository()))
          .build();
    }

    @Bean
    RequestRejectedHandler requestRejectedHandler() {
      return new HttpStatusRequestRejectedHandler();
    }

    @Bean
    InMemoryUserDetailsManager users() {
      return new InMemoryUserDetailsManager(User.withUsername("alice").password("{noop}pw-alice-1414").build());
    }
  }

  @DynamicPropertySource
  static void upstream(DynamicPropertyRegistry registry) {
    upstream(registry, OLLAMA::baseUrl, KEY);
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"//ollama/api/tags", "/./ollama/api/tags", "/ollama;x=1/api/tags", "/ollama/./api/tags",
      "/ollama/api/..;/tags", "/%2e/ollama/api/tags", "/ollama//api/tags"})
  void aPathTheFirewallRefusesIs400WithoutAStackTrace(String target, CapturedOutput output) throws Exception {
    int from = output.getAll().length();
    int upstreamBefore = OLLAMA.requestCount();
    double before = denials.count(GatewayDenials.BAD_REQUEST);

    String answer = rawGet(target, LOGIN);

    assertThat(answer).startsWith("HTTP/1.1 400 ");
    denials.awaitOne(GatewayDenials.BAD_REQUEST);
    assertThat(denials.count(GatewayDenials.BAD_REQUEST)).isEqualTo(before + 1);
    // Nothing at ERROR or WARN (the handler's own line is at DEBUG, which other tests in this JVM
    // may have turned on, with its stack trace).
    assertThat(output.getAll().substring(from)).as("what the refusal logged")
        .doesNotContain(" ERROR ").doesNotContain(" WARN ").doesNotContain("Servlet.service()");
    assertThat(OLLAMA.requestCount()).isEqualTo(upstreamBefore);
  }

  @Test
  void aPlainPathGoesThroughToSecurityAndTheGateway() throws Exception {
    assertThat(rawGet("/ollama/api/tags")).startsWith("HTTP/1.1 401 ");
    denials.awaitOne(GatewayDenials.UNAUTHENTICATED);
    int upstreamBefore = OLLAMA.requestCount();
    assertThat(rawGet("/ollama/api/tags", LOGIN)).startsWith("HTTP/1.1 200 ");
    assertThat(OLLAMA.requestCount()).isEqualTo(upstreamBefore + 1);
    denials.assertNone();
  }
}
