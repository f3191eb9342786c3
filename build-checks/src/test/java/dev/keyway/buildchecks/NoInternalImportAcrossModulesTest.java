package dev.keyway.buildchecks;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * No module but client-core names core's {@code internal} package: the others reach core
 * through its public API only (the starter's gateway through {@code OllamaClient.passThrough}).
 */
class NoInternalImportAcrossModulesTest {
  /** Core's internal package, spelled so that this file does not name it. */
  private static final String PACKAGE = "dev.keyway.ollama." + "internal";
  /** An import of, or a qualified name in, that package. */
  private static final Pattern INTERNAL = Pattern.compile(Pattern.quote(PACKAGE) + "\\.[A-Za-z*]");

  @Test
  void onlyClientCoreUsesCoresInternals() {
    Path root = Path.of(System.getProperty("keyway.root", ".."));
    List<String> offenders = offenders(root);
    assertThat(offenders).as("sources outside client-core that use " + PACKAGE).isEmpty();
  }

  @Test
  void theScanFindsAPlantedImport(@TempDir Path root) throws IOException {
    Path starter = Files.createDirectories(root.resolve("starter/src/main/java/x"));
    Files.writeString(starter.resolve("A.java"), "import " + PACKAGE + ".DefaultOllamaClient;\n");
    Path core = Files.createDirectories(root.resolve("client-core/src/main/java/x"));
    Files.writeString(core.resolve("B.java"), "import " + PACKAGE + ".Json;\n");
    Path built = Files.createDirectories(root.resolve("starter/target/generated-sources"));
    Files.writeString(built.resolve("C.java"), "import " + PACKAGE + ".Json;\n");

    assertThat(offenders(root)).containsExactly("starter/src/main/java/x/A.java");
  }

  private static List<String> offenders(Path root) {
    try (Stream<Path> all = Files.walk(root)) {
      return all.filter(p -> p.toString().endsWith(".java"))
          .map(p -> root.relativize(p).toString().replace('\\', '/'))
          .filter(p -> !p.startsWith("client-core/") && !p.contains("/target/") && !p.startsWith("target/")
              && !p.contains("/node_modules/") && !p.startsWith("."))
          .filter(p -> {
            try {
              return INTERNAL.matcher(Files.readString(root.resolve(p))).find();
            } catch (IOException e) {
              throw new UncheckedIOException(e);
            }
          })
          .sorted()
          .toList();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
