package dev.keyway.buildchecks;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The whole suite runs with logging at TRACE (JUL at ALL, Spring Boot's root at TRACE; see the
 * parent pom), and every test credential contains {@value KeyLeakScan#MARKER}. This module is
 * declared last, so in {@code ./mvnw verify} it runs after every other module's tests and reads all
 * they printed: no line may contain the marker.
 */
class NoKeyInTestOutputTest {

  @Test
  void noTestOfTheBuildPrintedACredential() {
    Path root = Path.of(System.getProperty("keyway.root", ".."));
    KeyLeakScan.Result result = KeyLeakScan.scan(root);
    System.out.printf("[key-leak scan] %d test output files under %s, %d lines with the marker%n",
        result.files().size(), root.toAbsolutePath().normalize(), result.leaks().size());
    // Not vacuous: the other modules' outputs are there, and they were written at the finest level.
    assertThat(result.files()).as("test output files of the other modules").hasSizeGreaterThan(20);
    assertThat(result.files()).anySatisfy(f -> assertThat(f.toString()).contains("client-core"));
    assertThat(result.files()).anySatisfy(f -> assertThat(f.toString()).contains("client-spring-boot-starter"));
    assertThat(result.sawFinestLevel()).as("TRACE/FINE lines in the outputs").isTrue();
    assertThat(result.sawKeywayDebug()).as("Keyway's own debug lines in the outputs").isTrue();
    assertThat(result.leaks()).as("lines that contain a test credential").isEmpty();
  }

  @Test
  void theScanFindsAPlantedKeyAndIgnoresOtherFiles(@TempDir Path root) throws IOException {
    Path reports = Files.createDirectories(root.resolve("mod/target/surefire-reports"));
    Files.writeString(reports.resolve("a.BTest-output.txt"), "12:00 FINE dev.keyway.ollama: POST /api/chat\n"
        + "header X-API-Key: kw-secret-planted\n");
    Files.writeString(reports.resolve("TEST-a.BTest.xml"), "<system-out>fine</system-out>");
    Files.writeString(root.resolve("mod/notes-kw-secret.txt"), "kw-secret outside reports");
    Files.createDirectories(root.resolve("mod/node_modules/x/target/surefire-reports"));
    Files.writeString(root.resolve("mod/node_modules/x/target/surefire-reports/y-output.txt"), "kw-secret");

    KeyLeakScan.Result result = KeyLeakScan.scan(root);

    assertThat(result.files()).hasSize(2);
    assertThat(result.leaks()).singleElement().asString()
        .startsWith("mod/target/surefire-reports/a.BTest-output.txt:2: ")
        .contains("kw-secret");
    assertThat(result.sawFinestLevel()).isTrue();
    assertThat(result.sawKeywayDebug()).isTrue();
  }

  @Test
  void aTreeWithoutFinestLinesIsNoticed(@TempDir Path root) throws IOException {
    Path reports = Files.createDirectories(root.resolve("m/target/surefire-reports"));
    Files.writeString(reports.resolve("x-output.txt"), "INFO started\n");
    assertThat(KeyLeakScan.scan(root).sawFinestLevel()).isFalse();
  }
}
