package dev.keyway.ollama.spring.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import dev.keyway.ollama.testkit.OllamaStandIn;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.actuate.audit.AuditEvent;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.context.annotation.Bean;
import org.springframework.security.config.Customizer;
import org.springframework.security.config.annotation.web.builders.HttpSecurity;
import org.springframework.security.config.http.SessionCreationPolicy;
import org.springframework.security.core.userdetails.User;
import org.springframework.security.provisioning.InMemoryUserDetailsManager;
import org.springframework.security.web.SecurityFilterChain;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * Behind Spring Security (HTTP Basic, role CHAT required, CORS from the gateway's
 * allowed-origins): the refusals written before the gateway is reached are audited and counted
 * too, each once, with the authenticated user as principal when there is one.
 */
@SpringBootTest(classes = {GatewaySecurityAuditTest.App.class, DenialProbe.Beans.class},
    webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
    properties = {"ollama.gateway.enabled=true", "ollama.gateway.allowed-models=llama3.2",
        "ollama.gateway.allowed-origins=https://app.example"})
@Timeout(30)
class GatewaySecurityAuditTest extends DenialFixture {
  static final String KEY = "kw-secret-security-audit-2718";
  static final String PASSWORD = "pw-alice-31415";
  static final String PROMPT = "prompt-text-xyzzy";
  static final String CHAT = "{\"model\":\"llama3.2\",\"stream\":false,\"messages\":[{\"role\":\"user\",\"content\":\""
      + PROMPT + "\"}]}";
  static final String ADDRESS_CALLER = CallerHash.PLAIN.hash("address:127.0.0.1");
  @AutoClose static final OllamaStandIn OLLAMA = OllamaStandIn.builder().requireApiKey(KEY).build();

  /** The application with its own security: the gateway needs role CHAT; alice has it, bob not. */
  @SpringBootConfiguration
  @EnableAutoConfiguration
  static class App {
    @Bean
    SecurityFilterChain security(HttpSecurity http) throws Exception {
      return http
          .authorizeHttpRequests(auth -> auth.anyRequest().hasRole("CHAT"))
          .httpBasic(Customizer.withDefaults())
          .cors(Customizer.withDefaults())
          .csrf(csrf -> csrf.disable())
          .sessionManagement(session -> session.sessionCreationPolicy(SessionCreationPolicy.STATELESS))
          .build();
    }

    @Bean
    InMemoryUserDetailsManager users() {
      return new InMemoryUserDetailsManager(
          User.withUsername("alice").password("{noop}" + PASSWORD).roles("CHAT").build(),
          User.withUsername("bob").password("{noop}pw-bob").roles("VIEWER").build());
    }
  }

  @DynamicPropertySource
  static void upstream(DynamicPropertyRegistry registry) {
    upstream(registry, OLLAMA::baseUrl, KEY);
  }

  static String basic(String user, String password) {
    return "Basic " + Base64.getEncoder().encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
  }

  HttpResponse<String> preflight(String origin) throws Exception {
    return http.send(HttpRequest.newBuilder(uri("/api/chat"))
        .method("OPTIONS", HttpRequest.BodyPublishers.noBody()).header("Origin", origin)
        .header("Access-Control-Request-Method", "POST")
        .header("Access-Control-Request-Headers", "authorization, content-type").build(),
        HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void missingCredentialsAreAuditedAsUnauthenticated() throws Exception {
    double before = denials.count(GatewayDenials.UNAUTHENTICATED);
    assertThat(post("/api/chat", CHAT).statusCode()).isEqualTo(401);
    AuditEvent event = denials.awaitOne(GatewayDenials.UNAUTHENTICATED);
    assertThat(event.getPrincipal()).isEqualTo("caller:" + ADDRESS_CALLER);
    assertThat(event.getData()).containsEntry("caller", ADDRESS_CALLER).containsEntry("path", "/api/chat")
        .doesNotContainKey("model");
    assertThat(denials.count(GatewayDenials.UNAUTHENTICATED)).isEqualTo(before + 1);
  }

  @Test
  void aWrongPasswordIsAuditedAsUnauthenticatedWithoutTheUserNameItClaimed() throws Exception {
    double before = denials.count(GatewayDenials.UNAUTHENTICATED);
    assertThat(post("/api/chat", CHAT, "Authorization", basic("alice", "wrong")).statusCode()).isEqualTo(401);
    AuditEvent event = denials.awaitOne(GatewayDenials.UNAUTHENTICATED);
    assertThat(event.getPrincipal()).isEqualTo("caller:" + ADDRESS_CALLER);
    assertThat(event.getData()).containsEntry("path", "/api/chat");
    assertThat(denials.count(GatewayDenials.UNAUTHENTICATED)).isEqualTo(before + 1);
  }

  @Test
  void anAuthenticatedUserWithoutTheRoleIsAuditedAsForbiddenUnderTheirName() throws Exception {
    double before = denials.count(GatewayDenials.FORBIDDEN);
    assertThat(post("/api/chat", CHAT, "Authorization", basic("bob", "pw-bob")).statusCode()).isEqualTo(403);
    AuditEvent event = denials.awaitOne(GatewayDenials.FORBIDDEN);
    assertThat(event.getPrincipal()).isEqualTo("bob");
    assertThat(event.getData()).containsEntry("caller", CallerHash.PLAIN.hash("principal:bob"))
        .containsEntry("path", "/api/chat");
    assertThat(denials.count(GatewayDenials.FORBIDDEN)).isEqualTo(before + 1);
  }

  @Test
  void aPreflightFromAForeignOriginIsAuditedAsCors() throws Exception {
    double before = denials.count(GatewayDenials.CORS);
    HttpResponse<String> r = preflight("https://evil.example");
    assertThat(r.statusCode()).isEqualTo(403);
    assertThat(r.headers().firstValue("Access-Control-Allow-Origin")).isEmpty();
    AuditEvent event = denials.awaitOne(GatewayDenials.CORS);
    assertThat(event.getPrincipal()).isEqualTo("caller:" + ADDRESS_CALLER);
    assertThat(event.getData()).containsEntry("path", "/api/chat");
    assertThat(denials.count(GatewayDenials.CORS)).isEqualTo(before + 1);
  }

  @Test
  void aCredentialedCallFromAForeignOriginIsAuditedAsCors() throws Exception {
    double before = denials.count(GatewayDenials.CORS);
    HttpResponse<String> r = post("/api/chat", CHAT, "Authorization", basic("alice", PASSWORD),
        "Origin", "https://evil.example");
    assertThat(r.statusCode()).isEqualTo(403);
    denials.awaitOne(GatewayDenials.CORS);
    assertThat(denials.count(GatewayDenials.CORS)).isEqualTo(before + 1);
  }

  @Test
  void aRefusalByTheGatewayBehindSecurityIsToldOnceUnderTheUsersName() throws Exception {
    double forbidden = denials.count(GatewayDenials.FORBIDDEN);
    HttpResponse<String> r = post("/api/chat", CHAT.replace("llama3.2", "mistral"),
        "Authorization", basic("alice", PASSWORD));
    assertThat(r.statusCode()).isEqualTo(403);
    AuditEvent event = denials.awaitOne(GatewayDenials.NOT_ALLOWED);
    assertThat(event.getPrincipal()).isEqualTo("alice");
    assertThat(event.getData()).containsEntry("model", "mistral").containsEntry("caller", CallerHash.PLAIN.hash("principal:alice"));
    // Not told a second time as a security 403 by the filter.
    assertThat(denials.count(GatewayDenials.FORBIDDEN)).isEqualTo(forbidden);
  }

  @Test
  void aListedOriginsPreflightAndAnAllowedCallAreNotAudited() throws Exception {
    assertThat(preflight("https://app.example").statusCode()).isEqualTo(200);
    assertThat(post("/api/chat", CHAT, "Authorization", basic("alice", PASSWORD)).statusCode()).isEqualTo(200);
    assertThat(post("/api/chat", CHAT).statusCode()).isEqualTo(401);
    denials.awaitOne(GatewayDenials.UNAUTHENTICATED);
  }

  @Test
  void noEventOrMetricCarriesTheUpstreamKeyAPasswordOrPromptText() throws Exception {
    post("/api/chat", CHAT);
    post("/api/chat", CHAT, "Authorization", basic("alice", "wrong-" + PASSWORD));
    post("/api/chat", CHAT, "Authorization", basic("bob", "pw-bob"));
    preflight("https://evil.example");
    post("/api/chat", CHAT.replace("llama3.2", "mistral"), "Authorization", basic("alice", PASSWORD));
    denials.awaitAll(GatewayDenials.UNAUTHENTICATED, GatewayDenials.UNAUTHENTICATED, GatewayDenials.FORBIDDEN,
        GatewayDenials.CORS, GatewayDenials.NOT_ALLOWED);
    // Spring Security's own AUTHENTICATION_FAILURE/AUTHORIZATION_FAILURE events are in the scan too.
    assertThat(denials.everythingTold()).contains(DenialEvents.AUDIT_TYPE, DenialEvents.METRIC)
        .doesNotContain(KEY, "kw-secret", PASSWORD, "pw-bob", PROMPT);
    assertThat(denials.denialsTold()).contains("reason=").doesNotContain("127.0.0.1");
  }
}
