package dev.keyway.ollama.spring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

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

  @Test
  void malformedBaseUrlSaysWhatToFix(CapturedOutput output) {
    assertThatThrownBy(() -> start("--ollama.base-url=ftp:/nope", "--ollama.api-key=k")).isNotNull();
    assertThat(output.getAll())
        .contains("APPLICATION FAILED TO START")
        .contains("The Ollama client could not be configured")
        .contains("ollama.base-url must be an http(s) URL");
  }

  @Test
  void keyWithALineBreakIsRefusedWithoutPrintingIt(CapturedOutput output) {
    String secret = "kw-secret-very-123";
    assertThatThrownBy(() -> start("--ollama.base-url=http://127.0.0.1:1", "--ollama.api-key=" + secret + "\n"))
        .isNotNull();
    assertThat(output.getAll())
        .contains("APPLICATION FAILED TO START")
        .contains("line break")
        .contains("trailing newline")
        .doesNotContain(secret);
  }
}
