package dev.keyway.samples.chatweb;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import java.util.logging.Level;
import java.util.stream.Stream;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * Debian's headless Chromium through Debian's chromedriver, both paths given explicitly so that
 * Selenium Manager never looks for or downloads anything (see {@link ChatPageBrowserTest}), with a
 * throwaway profile; {@link #close()} ends every process it started, by id, and deletes the profile.
 */
final class Chromium implements AutoCloseable {
  static final File CHROMIUM = new File("/usr/bin/chromium");
  static final File CHROMEDRIVER = new File("/usr/bin/chromedriver");

  final ChromeDriver browser;
  private final ChromeDriverService service;
  private final Path profile;

  private Chromium(ChromeDriverService service, ChromeDriver browser, Path profile) {
    this.service = service;
    this.browser = browser;
    this.profile = profile;
  }

  static Chromium start() throws IOException {
    return start(options -> {});
  }

  /** As {@link #start()}, with {@code extra} applied to the options last (a test's own capabilities). */
  static Chromium start(Consumer<ChromeOptions> extra) throws IOException {
    for (File binary : List.of(CHROMIUM, CHROMEDRIVER)) {
      if (!binary.canExecute()) {
        fail(binary + " is missing: this end-to-end test needs Debian's headless Chromium and its"
            + " driver. Install them with: apt-get install chromium chromium-driver");
      }
    }
    java.util.logging.Logger.getLogger("org.openqa.selenium").setLevel(Level.SEVERE);
    System.setProperty(ChromeDriverService.CHROME_DRIVER_EXE_PROPERTY, CHROMEDRIVER.getPath());
    Path profile = Files.createTempDirectory("keyway-chromium-");
    ChromeDriverService service =
        new ChromeDriverService.Builder().usingDriverExecutable(CHROMEDRIVER).usingAnyFreePort().build();
    ChromeOptions options = new ChromeOptions();
    options.setBinary(CHROMIUM);
    options.addArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
        "--disable-background-networking", "--disable-component-update", "--no-first-run",
        "--disable-sync", "--disable-quic", "--disable-extensions", "--user-data-dir=" + profile);
    extra.accept(options);
    ChromeDriver browser = new ChromeDriver(service, options);
    browser.manage().timeouts().scriptTimeout(Duration.ofSeconds(20));
    browser.manage().timeouts().pageLoadTimeout(Duration.ofSeconds(20));
    return new Chromium(service, browser, profile);
  }

  void waitUntil(BooleanSupplier condition) {
    new WebDriverWait(browser, Duration.ofSeconds(15), Duration.ofMillis(25)).until(b -> condition.getAsBoolean());
  }

  /** Runs {@code script} (which ends by calling {@code done(result)}) in the current page. */
  Object async(String script, Object... args) {
    return browser.executeAsyncScript("const done = arguments[arguments.length - 1];" + script, args);
  }

  @Override
  public void close() throws Exception {
    try {
      browser.quit();
    } finally {
      service.stop();
      String profileArg = "--user-data-dir=" + profile;
      List<ProcessHandle> ours = Stream.concat(
              ProcessHandle.current().descendants().filter(p -> command(p).startsWith("/usr/bin/chrom")
                  || command(p).contains("/chromium/")),
              ProcessHandle.allProcesses().filter(p -> p.info().arguments()
                  .map(args -> List.of(args).contains(profileArg)).orElse(false)))
          .distinct().toList();
      for (ProcessHandle process : ours) {
        process.destroyForcibly();
      }
      for (ProcessHandle process : ours) {
        process.onExit().get(5, TimeUnit.SECONDS);
      }
      try (Stream<Path> files = Files.walk(profile)) {
        files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
      assertThat(ProcessHandle.current().descendants().filter(p -> command(p).contains("chrom")).toList())
          .as("no browser or driver process outlives the test").isEmpty();
    }
  }

  private static String command(ProcessHandle process) {
    return process.info().command().orElse("");
  }
}
