package dev.keyway.samples.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** The sample as a newcomer runs it: demo mode end to end through the real client. */
class KeywayCliTest {
  final ByteArrayOutputStream out = new ByteArrayOutputStream();
  final ByteArrayOutputStream err = new ByteArrayOutputStream();

  int run(String... args) {
    return KeywayCli.run(args, new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8));
  }

  @Test
  void demoChatStreamsTheStandInsAnswerAndSaysItIsAStandIn() {
    assertThat(run("--demo", "chat", "Why", "is", "the", "sky", "blue?")).isZero();
    String text = out.toString(StandardCharsets.UTF_8);
    assertThat(text).contains("[demo]").contains("stand-in").contains("scripted");
    assertThat(text).contains("> Why is the sky blue?");
    assertThat(text).contains("(thinking) The user asks about Rayleigh scattering.");
    assertThat(text).contains("short blue wavelengths");
    assertThat(text).contains("[llama3.2, ");
    assertThat(err.toString(StandardCharsets.UTF_8)).isEmpty();
  }

  @Test
  void demoModelsListsTheScriptedModel() {
    assertThat(run("--demo", "--model", "qwen3:8b", "models")).isZero();
    assertThat(out.toString(StandardCharsets.UTF_8)).contains("qwen3:8b").contains("3.2B");
  }

  @Test
  void unknownCommandPrintsUsage() {
    assertThat(run("frobnicate")).isEqualTo(2);
    assertThat(err.toString(StandardCharsets.UTF_8)).contains("usage:");
  }

  @Test
  void unreachableServerGivesAClearErrorAndExitCodeOne() {
    // No --demo and nothing listening: fromEnv() reads the real environment, so only run this
    // when OLLAMA_HOST is not set by the developer.
    org.junit.jupiter.api.Assumptions.assumeTrue(System.getenv("OLLAMA_HOST") == null);
    org.junit.jupiter.api.Assumptions.assumeFalse(ollamaRunningLocally());
    assertThat(run("models")).isEqualTo(1);
    assertThat(err.toString(StandardCharsets.UTF_8)).contains("Cannot connect to http://127.0.0.1:11434");
  }

  private static boolean ollamaRunningLocally() {
    try (java.net.Socket s = new java.net.Socket()) {
      s.connect(new java.net.InetSocketAddress("127.0.0.1", 11434), 200);
      return true;
    } catch (java.io.IOException e) {
      return false;
    }
  }
}
