package dev.keyway.samples.chatweb;

import static org.assertj.core.api.Assertions.assertThat;

import dev.keyway.ollama.testkit.OllamaStandIn;
import dev.keyway.ollama.testkit.ScriptedModel;
import java.io.File;
import java.nio.file.Files;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.WebDriverWait;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.core.env.Environment;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * The chat page in a real headless Chromium (Debian's chromium and chromium-driver; nothing is
 * downloaded): tokens appear one by one, Stop cancels generation upstream, thinking shows apart,
 * and the key is nowhere the browser can read.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT, properties = "keyway.demo=false")
class ChatPageBrowserTest {
  static final String KEY = "sk-browser-never-sees-this-6021";
  static final List<String> WORDS = List.of("one", "two", "three", "four", "five", "six", "seven",
      "eight", "nine", "ten", "eleven", "twelve");
  static final OllamaStandIn OLLAMA = OllamaStandIn.builder().requireApiKey(KEY)
      .model(ScriptedModel.named("llama3.2").thinking("Counting", " slowly")
          .answer(String.join(" ", WORDS)).tokenDelay(Duration.ofMillis(250)))
      .build();
  static WebDriver browser;
  static ChromeDriverService driverService;

  @DynamicPropertySource
  static void ollama(DynamicPropertyRegistry registry) {
    registry.add("ollama.base-url", OLLAMA::baseUrl);
    registry.add("ollama.api-key", () -> KEY);
    registry.add("ollama.api-key-header", () -> "X-API-Key");
  }

  @BeforeAll
  static void startBrowser() throws Exception {
    File chromium = new File("/usr/bin/chromium");
    File driver = new File("/usr/bin/chromedriver");
    assertThat(chromium).as("headless Chromium is needed: apt-get install chromium chromium-driver").exists();
    assertThat(driver).as("chromedriver is needed: apt-get install chromium chromium-driver").exists();
    driverService = new ChromeDriverService.Builder().usingDriverExecutable(driver).usingAnyFreePort().build();
    ChromeOptions options = new ChromeOptions();
    options.setBinary(chromium);
    options.addArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
        "--disable-background-networking", "--disable-component-update", "--no-first-run",
        "--disable-sync", "--disable-quic",
        "--user-data-dir=" + Files.createTempDirectory("keyway-chromium"));
    browser = new ChromeDriver(driverService, options);
  }

  @AfterAll
  static void stop() {
    if (browser != null) {
      browser.quit();
    }
    if (driverService != null) {
      driverService.stop();
    }
    OLLAMA.close();
  }

  @Autowired Environment environment;

  String base() {
    return "http://127.0.0.1:" + environment.getProperty("local.server.port");
  }

  @BeforeEach
  void open() {
    browser.get(base() + "/");
  }

  String text(String id) {
    return browser.findElement(By.id(id)).getText();
  }

  @Test
  void tokensAppearOneByOneAndThinkingIsShownApart() {
    int requestsBefore = OLLAMA.requestCount();
    browser.findElement(By.id("send")).click();
    WebDriverWait wait = new WebDriverWait(browser, Duration.ofSeconds(20));
    wait.until(b -> !text("answer").isBlank());
    String firstSeen = text("answer");
    // The stand-in spaces the 12 words 250 ms apart: the first one is on the page while most of
    // the answer has not been sent yet.
    assertThat(firstSeen.split(" ").length).isLessThan(WORDS.size() - 3);
    wait.until(b -> "true".equals(browser.findElement(By.id("answer")).getAttribute("data-done")));
    assertThat(text("answer")).isEqualTo(String.join(" ", WORDS));
    browser.findElement(By.tagName("summary")).click();
    assertThat(text("thinking")).isEqualTo("Counting slowly");
    assertThat(OLLAMA.requestCount()).isEqualTo(requestsBefore + 1);
  }

  @Test
  void stopCancelsGenerationUpstream() {
    int disconnectsBefore = OLLAMA.disconnects();
    browser.findElement(By.id("send")).click();
    WebDriverWait wait = new WebDriverWait(browser, Duration.ofSeconds(20));
    wait.until(b -> !text("answer").isBlank());
    browser.findElement(By.id("stop")).click();
    wait.until(b -> "true".equals(browser.findElement(By.id("answer")).getAttribute("data-stopped")));
    long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    while (OLLAMA.disconnects() == disconnectsBefore && System.nanoTime() < deadline) {
      Thread.onSpinWait();
    }
    assertThat(OLLAMA.disconnects()).as("the stand-in saw the upstream call cancelled").isGreaterThan(disconnectsBefore);
    assertThat(text("answer").split(" ").length).isLessThan(WORDS.size());
  }

  @Test
  void theKeyIsNowhereTheBrowserCanRead() {
    browser.findElement(By.id("send")).click();
    new WebDriverWait(browser, Duration.ofSeconds(20))
        .until(b -> "true".equals(browser.findElement(By.id("answer")).getAttribute("data-done")));
    assertThat(browser.getPageSource()).doesNotContain(KEY);
    // Every resource and API answer the page can fetch, bodies and headers.
    @SuppressWarnings("unchecked")
    Map<String, Object> seen = (Map<String, Object>) ((JavascriptExecutor) browser).executeAsyncScript(
        "const done = arguments[arguments.length - 1];"
            + "const urls = ['/', '/index.html', '/app.js', '/style.css', '/api/info'];"
            + "Promise.all(urls.map(u => fetch(u).then(async r => u + ' ' + JSON.stringify([...r.headers]) + ' ' + await r.text())))"
            + ".then(async parts => {"
            + "  const chat = await fetch('/api/chat', {method: 'POST', headers: {'Content-Type': 'application/json'},"
            + "    body: JSON.stringify({prompt: 'x'})});"
            + "  parts.push('/api/chat ' + JSON.stringify([...chat.headers]) + ' ' + await chat.text());"
            + "  done({all: parts.join('\\n'), count: parts.length});"
            + "}).catch(e => done({all: 'ERROR ' + e, count: 0}));");
    assertThat(((Number) seen.get("count")).intValue()).isEqualTo(6);
    String all = (String) seen.get("all");
    assertThat(all).contains("/app.js").contains("\"type\":\"done\"").doesNotContain(KEY);
    assertThat(browser.manage().getCookies().toString()).doesNotContain(KEY);
  }
}
