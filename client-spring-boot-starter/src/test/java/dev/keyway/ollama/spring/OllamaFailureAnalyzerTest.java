package dev.keyway.ollama.spring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.autoconfigure.ImportAutoConfiguration;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.context.annotation.Configuration;

/** A wrong setup fails at startup with what to fix, and never prints the key. */
@ExtendWith(OutputCaptureExtension.class)
class OllamaFailureAnalyzerTest {

  @Configuration(proxyBeanMethods = false)
  @ImportAutoConfiguration(OllamaAutoConfiguration.class)
  static class App {}

  static void start(String... args) {
    SpringApplication app = new SpringApplication(App.class);
    app.setWebApplicationType(WebApplicationType.NONE);
    app.run(args);
  }

  /** Starts the application, which must fail; returns the message of the client's own refusal. */
  static String failureCause(String... args) {
    Throwable failure = catchThrowable(() -> start(args));
    assertThat(failure).hasRootCauseInstanceOf(IllegalArgumentException.class);
    Throwable root = failure;
    while (root.getCause() != null) {
      root = root.getCause();
    }
    return root.getMessage();
  }

  @Test
  void malformedBaseUrlSaysWhatToFix(CapturedOutput output) {
    String cause = failureCause("--ollama.base-url=ftp:/nope", "--ollama.api-key=k");
    // The analysis quotes this cause, which names the bad URL, beside its own fixed advice.
    assertThat(cause).contains("ftp:/nope");
    assertThat(output.getAll())
        .contains("APPLICATION FAILED TO START")
        .contains("The Ollama client could not be configured: " + cause);
  }

  @Test
  void keyWithALineBreakIsRefusedWithoutPrintingIt(CapturedOutput output) {
    String secret = "kw-secret-very-123";
    String cause = failureCause("--ollama.base-url=http://127.0.0.1:1", "--ollama.api-key=" + secret + "\n");
    // The cause says where the line break is, which differs from key to key, and not the key.
    assertThat(cause).contains("line break").contains("index " + secret.length()).doesNotContain(secret);
    assertThat(output.getAll())
        .contains("APPLICATION FAILED TO START")
        .contains("The Ollama client could not be configured: " + cause)
        .doesNotContain(secret);
  }
}
