package dev.keyway.ollama.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class ScriptedModelAndFaultTest {

  @Test
  void answerSplitsIntoWordishTokensThatJoinBack() {
    String text = "Hello, world! I'm fine.\n  Ünïcode too ";
    List<String> tokens = ScriptedModel.named("m").answer(text).contentTokens();

    assertThat(String.join("", tokens)).isEqualTo(text);
    assertThat(tokens).startsWith("Hello", ",", " world", "!", " I'm", " fine", ".");
  }

  @Test
  void defaultAnswerIsAboutADozenTokens() {
    assertThat(ScriptedModel.named("m").contentTokens()).hasSizeBetween(10, 16);
  }

  @Test
  void modelsAreImmutable() {
    ScriptedModel base = ScriptedModel.named("m");
    ScriptedModel varied = base.tokens("x").tokenDelay(Duration.ofMillis(5));

    assertThat(base.contentTokens()).isNotEqualTo(List.of("x"));
    assertThat(base.delay()).isZero();
    assertThat(varied.contentTokens()).containsExactly("x");
    assertThat(base.name()).isEqualTo("m");
    assertThat(base.listedName()).isEqualTo("m:latest");
    assertThat(ScriptedModel.named("qwen3:8b").listedName()).isEqualTo("qwen3:8b");
  }

  @Test
  void invalidScriptsAreRejectedAtOnce() {
    assertThatThrownBy(() -> ScriptedModel.named(" ")).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> ScriptedModel.named("m").tokenDelay(Duration.ofMillis(-1)))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> OllamaStandIn.builder().model(ScriptedModel.named("m")).model(ScriptedModel.named("m:latest")))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void faultsValidateTheirArguments() {
    assertThatThrownBy(() -> Fault.dropAfter(-1)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> Fault.status(100, "")).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> Fault.dropAfter(1).retryAfter(Duration.ofSeconds(1)))
        .isInstanceOf(IllegalStateException.class);
    assertThatThrownBy(() -> Fault.status(503, "").times(0)).isInstanceOf(IllegalArgumentException.class);
    assertThat(Fault.status(503, "").retryAfter(Duration.ofSeconds(3)).toString()).contains("503", "Retry-After 3");
  }
}
