package dev.keyway.samples.chatweb;

import java.security.SecureRandom;
import java.util.HexFormat;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.security.config.Customizer;
import org.springframework.security.config.annotation.web.builders.HttpSecurity;
import org.springframework.security.core.userdetails.User;
import org.springframework.security.core.userdetails.UserDetailsService;
import org.springframework.security.provisioning.InMemoryUserDetailsManager;
import org.springframework.security.web.SecurityFilterChain;

/**
 * The gateway under /ollama is an open door to a GPU, so it requires a signed-in user. The demo
 * page and its own route stay open so the sample runs without a login; a real application protects
 * them the same way (for example {@code .anyRequest().authenticated()} with its own login).
 */
@Configuration(proxyBeanMethods = false)
class SecurityConfig {

  @Bean
  SecurityFilterChain security(HttpSecurity http) throws Exception {
    return http
        .authorizeHttpRequests(auth -> auth
            .requestMatchers("/ollama/**").authenticated()
            .anyRequest().permitAll())
        .httpBasic(Customizer.withDefaults())
        // JSON endpoints called by same-origin fetch; a real app with cookies keeps CSRF on.
        .csrf(csrf -> csrf.ignoringRequestMatchers("/api/**", "/ollama/**"))
        .build();
  }

  @Bean
  UserDetailsService users() {
    byte[] bytes = new byte[12];
    new SecureRandom().nextBytes(bytes);
    String password = HexFormat.of().formatHex(bytes);
    System.out.println("[security] Gateway user 'demo', password " + password
        + " (generated at startup; try: curl -u demo:" + password + " http://localhost:PORT/ollama/api/tags)");
    return new InMemoryUserDetailsManager(
        User.withUsername("demo").password("{noop}" + password).roles("OLLAMA").build());
  }
}
