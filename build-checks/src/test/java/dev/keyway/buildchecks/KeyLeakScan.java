package dev.keyway.buildchecks;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Reads every test output file of a build tree: surefire's {@code *-output.txt} (what a test JVM
 * printed, logs included) and the {@code system-out}/{@code system-err} kept in its XML reports.
 */
final class KeyLeakScan {
  /** Every credential literal in the tests carries this marker. */
  static final String MARKER = "kw-secret";
  private static final Pattern FINEST = Pattern.compile("\\b(TRACE|FINEST|FINER|FINE)\\b");

  /** What the scan found. */
  record Result(List<Path> files, List<String> leaks, boolean sawFinestLevel, boolean sawKeywayDebug) {}

  private KeyLeakScan() {}

  static Result scan(Path root) {
    List<Path> files = new ArrayList<>();
    List<String> leaks = new ArrayList<>();
    boolean finest = false;
    boolean keyway = false;
    try (Stream<Path> all = Files.walk(root)) {
      all.filter(KeyLeakScan::isTestOutput).sorted().forEach(files::add);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    for (Path file : files) {
      try (BufferedReader reader = new BufferedReader(new java.io.InputStreamReader(Files.newInputStream(file),
          StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPLACE)
              .onUnmappableCharacter(CodingErrorAction.REPLACE)))) {
        String line;
        int number = 0;
        while ((line = reader.readLine()) != null) {
          number++;
          if (line.contains(MARKER)) {
            leaks.add(root.relativize(file) + ":" + number + ": " + cut(line));
          }
          if (!finest && FINEST.matcher(line).find()) {
            finest = true;
          }
          if (!keyway && line.contains("dev.keyway.ollama") && FINEST.matcher(line).find()) {
            keyway = true;
          }
        }
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    return new Result(files, leaks, finest, keyway);
  }

  private static boolean isTestOutput(Path path) {
    String name = path.getFileName().toString();
    String where = path.toString().replace('\\', '/');
    if (!where.contains("/target/surefire-reports/") || where.contains("/node_modules/")
        || where.contains("/build-checks/target/")) {
      return false;
    }
    return name.endsWith("-output.txt") || (name.startsWith("TEST-") && name.endsWith(".xml"));
  }

  private static String cut(String line) {
    // Show where, not the whole line: the point is that it should not be there at all.
    int at = line.indexOf(MARKER);
    int from = Math.max(0, at - 80);
    return line.substring(from, Math.min(line.length(), at + MARKER.length() + 8)) + "…";
  }
}
