package dev.keyway.samples.chatweb;

import static org.assertj.core.api.Assertions.assertThat;

import dev.keyway.ollama.testkit.OllamaStandIn;
import dev.keyway.ollama.testkit.RecordedRequest;
import dev.keyway.ollama.testkit.ScriptedModel;
import java.io.IOException;
import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.logging.Level;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.logging.LogEntry;
import org.openqa.selenium.logging.LogType;
import org.openqa.selenium.logging.LoggingPreferences;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * The chat page in a real headless Chromium: Debian's /usr/bin/chromium driven through Debian's
 * /usr/bin/chromedriver (apt-get install chromium chromium-driver). Both paths are given to
 * Selenium, so Selenium Manager never looks for, or downloads, a browser or a driver. Without them
 * the test fails; it is never skipped.
 *
 * <p>The stand-in behind the app requires the key and waits {@link #DELAY} before each token, so
 * that what the browser shows can be compared with what has been generated.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
    properties = {"keyway.demo=false", "chat.models=qwen9:huge"})
class ChatPageBrowserTest {
  static final String KEY = Http.newKey("kw-secret-browser-");
  static final Duration DELAY = Duration.ofMillis(150);
  static final List<String> THINKING = List.of("Counting", " slowly", " to", " twelve");
  static final List<String> WORDS = List.of("one", " two", " three", " four", " five", " six", " seven",
      " eight", " nine", " ten", " eleven", " twelve");
  static final String ANSWER = String.join("", WORDS);
  @AutoClose static final OllamaStandIn OLLAMA = OllamaStandIn.builder().requireApiKey(KEY)
      .model(ScriptedModel.named("llama3.2").thinking(THINKING.toArray(String[]::new)).answer(ANSWER)
          .tokenDelay(DELAY))
      .model(ScriptedModel.named("quick").answer("Hi."))
      .build();
  @AutoClose static Chromium chromium;
  static ChromeDriver browser;

  @DynamicPropertySource
  static void ollama(DynamicPropertyRegistry registry) {
    registry.add("ollama.base-url", OLLAMA::baseUrl);
    registry.add("ollama.api-key", () -> KEY);
    registry.add("ollama.api-key-header", () -> "X-API-Key");
  }

  @BeforeAll
  static void startBrowser() throws IOException {
    chromium = Chromium.start(options -> {
      LoggingPreferences logs = new LoggingPreferences();
      logs.enable(LogType.PERFORMANCE, Level.ALL); // every network event the browser sees
      options.setCapability("goog:loggingPrefs", logs);
    });
    browser = chromium.browser;
  }

  @LocalServerPort int port;

  String base() {
    return "http://127.0.0.1:" + port;
  }

  @BeforeEach
  void openPage() {
    browser.get(base() + "/");
    chromium.waitUntil(() -> !browser.findElement(By.id("model")).getDomProperty("value").isEmpty()); // /api/info answered
  }

  // --- helpers ------------------------------------------------------------------------------

  /** The newest assistant turn as the page shows it, read in one round trip. */
  @SuppressWarnings("unchecked")
  Map<String, Object> lastTurn() {
    return (Map<String, Object>) browser.executeScript(
        "const t = [...document.querySelectorAll('#log .turn.assistant')].pop();"
            + "if (!t) return {state: 'none'};"
            + "const box = t.querySelector('.thinking');"
            + "return {state: t.dataset.state, answer: t.querySelector('.answer').textContent,"
            + " thinking: t.querySelector('.thinking-text').textContent, thinkingShown: !box.hidden,"
            + " thinkingOpen: box.open, error: t.querySelector('.error').hidden ? null : t.querySelector('.error').textContent,"
            + " status: t.querySelector('.status').textContent};");
  }

  String state() {
    return (String) lastTurn().get("state");
  }

  /**
   * Records, with the browser's own clock (the same wall clock as this JVM's), every change of the
   * newest turn's answer and thinking text: what a user would have seen, and when.
   */
  void recordChanges() {
    browser.executeScript(
        "window.__seen = []; let last = '';"
            + "new MutationObserver(() => {"
            + "  const t = [...document.querySelectorAll('#log .turn.assistant')].pop(); if (!t) return;"
            + "  const now = {answer: t.querySelector('.answer').textContent,"
            + "               thinking: t.querySelector('.thinking-text').textContent};"
            + "  const key = JSON.stringify(now); if (key === last) return; last = key;"
            + "  window.__seen.push({t: Date.now(), answer: now.answer, thinking: now.thinking});"
            + "}).observe(document.getElementById('log'), {subtree: true, childList: true, characterData: true});");
  }

  record Seen(Instant at, String answer, String thinking) {}

  @SuppressWarnings("unchecked")
  List<Seen> seen() {
    List<Map<String, Object>> raw = (List<Map<String, Object>>) browser.executeScript("return window.__seen;");
    return raw.stream().map(m -> new Seen(Instant.ofEpochMilli(((Number) m.get("t")).longValue()),
        (String) m.get("answer"), (String) m.get("thinking"))).toList();
  }

  void ask(String prompt) {
    WebElement input = browser.findElement(By.id("prompt"));
    input.clear();
    input.sendKeys(prompt);
    browser.findElement(By.id("send")).click();
  }

  RecordedRequest lastChatUpstream() {
    List<RecordedRequest> chats = OLLAMA.requests().stream().filter(r -> r.path().equals("/api/chat")).toList();
    return chats.get(chats.size() - 1);
  }

  // --- the tests ----------------------------------------------------------------------------

  @Test
  void tokensAppearOneByOneLongBeforeTheLastIsGenerated() {
    recordChanges();
    ask("Count to twelve");
    chromium.waitUntil(() -> "done".equals(state()));

    List<Seen> answers = seen().stream().filter(s -> !s.answer().isEmpty()).toList();
    Seen first = answers.get(0);
    // The stand-in waits DELAY before each of its pieces (thinking, then answer), so it cannot have
    // sent the last one before this instant.
    Instant lastSentNotBefore = lastChatUpstream().receivedAt()
        .plus(DELAY.multipliedBy(THINKING.size() + WORDS.size()));
    assertThat(ANSWER).startsWith(first.answer());
    assertThat(first.answer().split(" ")).as("first text on screen: %s", first.answer()).hasSizeLessThanOrEqualTo(2);
    assertThat(first.at()).as("first token on screen, well before the last one existed")
        .isBefore(lastSentNotBefore.minus(DELAY.multipliedBy(4)));
    // It grew a token at a time: every snapshot extends the one before, up to the whole answer.
    assertThat(answers.size()).isGreaterThanOrEqualTo(WORDS.size() - 2);
    for (int i = 1; i < answers.size(); i++) {
      assertThat(answers.get(i).answer()).startsWith(answers.get(i - 1).answer());
    }
    assertThat(answers.get(answers.size() - 1).answer()).isEqualTo(ANSWER);
    assertThat(Duration.between(first.at(), answers.get(answers.size() - 1).at()))
        .isGreaterThan(DELAY.multipliedBy(WORDS.size() - 1).multipliedBy(7).dividedBy(10));
    assertThat((String) lastTurn().get("status")).startsWith("llama3.2 · " + (THINKING.size() + WORDS.size()) + " tokens");

    // The next question carries the conversation so far (a missing model answers at once).
    browser.findElement(By.id("model")).clear();
    browser.findElement(By.id("model")).sendKeys("qwen9:huge");
    ask("And back?");
    chromium.waitUntil(() -> "error".equals(state()));
    List<String> sent = new ArrayList<>();
    lastChatUpstream().bodyJson().get("messages")
        .forEach(m -> sent.add(m.get("role").asText() + ": " + m.get("content").asText()));
    assertThat(sent).containsExactly("user: Count to twelve", "assistant: " + ANSWER, "user: And back?");
  }

  @Test
  void stopCancelsGenerationUpstream() {
    assertThat(OLLAMA.disconnects()).as("no earlier test left a stream abandoned").isZero();
    ask("Count to twelve");
    chromium.waitUntil(() -> ((String) lastTurn().get("answer")).split(" ").length >= 2);

    browser.findElement(By.id("stop")).click();

    assertThat(OLLAMA.awaitDisconnect(Duration.ofSeconds(5)))
        .as("the stand-in saw the app's upstream call cancelled").isTrue();
    chromium.waitUntil(() -> "stopped".equals(state()));
    // Nothing more can come: generation upstream is cancelled (above), and app.js marks a turn
    // "stopped" only once its read loop, the one writer of the answer, has ended on the abort. One
    // frame and one task later, any update the page had already queued has landed too.
    String shownAtStop = (String) lastTurn().get("answer");
    chromium.async("requestAnimationFrame(() => setTimeout(done))");
    Map<String, Object> turn = lastTurn();
    assertThat(turn.get("answer")).isEqualTo(shownAtStop);
    assertThat(shownAtStop.split(" ")).hasSizeLessThan(WORDS.size());
    assertThat((String) turn.get("status")).contains("Stopped");
    assertThat(browser.findElement(By.id("stop")).isEnabled()).isFalse();
    assertThat(browser.findElement(By.id("send")).isEnabled()).isTrue();
  }

  @Test
  void thinkingIsShownApartFromTheAnswer() {
    recordChanges();
    ask("Count to twelve");
    chromium.waitUntil(() -> !((String) lastTurn().get("thinking")).isEmpty());
    assertThat(lastTurn()).containsEntry("thinkingShown", true).containsEntry("thinkingOpen", true)
        .containsEntry("answer", "");
    chromium.waitUntil(() -> "done".equals(state()));

    Map<String, Object> turn = lastTurn();
    assertThat(turn.get("thinking")).isEqualTo(String.join("", THINKING));
    assertThat(turn.get("answer")).isEqualTo(ANSWER);
    assertThat(turn).containsEntry("thinkingOpen", false); // folded once the answer came
    // Thinking streamed first, token by token, and never leaked into the answer.
    List<Seen> seen = seen();
    assertThat(seen.stream().filter(s -> s.answer().isEmpty() && !s.thinking().isEmpty()).count())
        .isGreaterThanOrEqualTo(THINKING.size() - 1);
    assertThat(seen).allSatisfy(s -> assertThat(s.answer()).doesNotContain("Counting"));
    // A grey block of its own that opens on a click.
    WebElement box = browser.findElement(By.cssSelector("#log .turn.assistant:last-child details.thinking"));
    assertThat(box.getCssValue("color")).isEqualTo("rgba(107, 107, 107, 1)");
    box.findElement(By.tagName("summary")).click();
    assertThat(box.findElement(By.className("thinking-text")).getText()).isEqualTo(String.join("", THINKING));
  }

  @Test
  void errorsAreShownInWords() {
    browser.findElement(By.id("model")).clear();
    browser.findElement(By.id("model")).sendKeys("qwen9:huge");
    ask("hi");
    chromium.waitUntil(() -> "error".equals(state()));

    WebElement error = browser.findElement(By.cssSelector("#log .turn.assistant:last-child .error"));
    assertThat(error.isDisplayed()).isTrue();
    assertThat(error.getDomAttribute("role")).isEqualTo("alert");
    assertThat(error.getText()).isEqualTo("Model 'qwen9:huge' is not available — ollama pull qwen9:huge");
  }

  @Test
  @SuppressWarnings("unchecked")
  void theKeyIsNowhereTheBrowserCanRead() {
    browser.manage().logs().get(LogType.PERFORMANCE); // start from an empty network log
    browser.get(base() + "/");
    chromium.waitUntil(() -> !browser.findElement(By.id("model")).getDomProperty("value").isEmpty());
    ask("Count to twelve");
    chromium.waitUntil(() -> "done".equals(state()));
    browser.findElement(By.id("model")).clear();
    browser.findElement(By.id("model")).sendKeys("qwen9:huge"); // an error answer too
    ask("hi");
    chromium.waitUntil(() -> "error".equals(state()));

    // Every request and response the browser saw: URLs, headers (parsed and raw), request bodies.
    Map<String, String> responses = new LinkedHashMap<>(); // requestId -> url
    Set<String> streamed = new HashSet<>(); // requestIds of NDJSON answers
    Map<String, Map<String, Object>> requests = new LinkedHashMap<>(); // requestId -> request
    StringBuilder seenByBrowser = new StringBuilder();
    for (LogEntry entry : browser.manage().logs().get(LogType.PERFORMANCE)) {
      Map<String, Object> message = (Map<String, Object>) Http.parse(entry.getMessage()).get("message");
      Map<String, Object> params = (Map<String, Object>) message.get("params");
      switch ((String) message.get("method")) {
        case "Network.requestWillBeSent" -> {
          requests.put((String) params.get("requestId"), (Map<String, Object>) params.get("request"));
          seenByBrowser.append(Http.write(params.get("request"))).append('\n');
        }
        case "Network.responseReceived" -> {
          Map<String, Object> response = (Map<String, Object>) params.get("response");
          responses.put((String) params.get("requestId"), (String) response.get("url"));
          if (String.valueOf(response.get("mimeType")).equals("application/x-ndjson")) {
            streamed.add((String) params.get("requestId"));
          }
          seenByBrowser.append(response.get("url")).append(' ').append(response.get("headers")).append('\n');
        }
        case "Network.responseReceivedExtraInfo" ->
            seenByBrowser.append(params.get("headers")).append(params.get("headersText")).append('\n');
        default -> { }
      }
    }
    // Their bodies: from DevTools for the page and its files. DevTools keeps a streamed body only
    // in part, if at all, so each NDJSON answer is fetched again, exactly as the page asked for it,
    // and read whole (the stand-in is scripted: same request, same bytes).
    List<String> paths = new ArrayList<>();
    List<Map<String, Object>> replays = new ArrayList<>();
    for (Map.Entry<String, String> response : responses.entrySet()) {
      URI uri = URI.create(response.getValue());
      if (!"http".equals(uri.getScheme()) || uri.getPort() != port) {
        continue; // the data: favicon; nothing else is fetched
      }
      paths.add(uri.getPath());
      if (streamed.contains(response.getKey())) {
        replays.add(requests.get(response.getKey()));
      } else {
        Map<String, Object> body = browser.executeCdpCommand("Network.getResponseBody",
            Map.of("requestId", response.getKey()));
        seenByBrowser.append(body.get("body")).append('\n');
      }
    }
    assertThat(paths).contains("/", "/style.css", "/app.js", "/api/info").filteredOn("/api/chat"::equals).hasSize(2);
    assertThat(replays).extracting(r -> URI.create((String) r.get("url")).getPath()).containsExactly("/api/chat", "/api/chat");
    List<String> replayed = (List<String>) browser.executeAsyncScript(
        "const done = arguments[arguments.length - 1];"
            + "Promise.all(arguments[0].map(r => fetch(r.url, {method: r.method, headers: r.headers, body: r.postData})"
            + "  .then(async res => JSON.stringify([...res.headers]) + ' ' + await res.text())))"
            + "  .then(done).catch(e => done(['REPLAY FAILED ' + e]));", replays);
    assertThat(replayed).hasSize(2);
    assertThat(replayed.get(0)).contains("\"type\":\"thinking\"").contains("\"type\":\"done\"");
    assertThat(replayed.get(1)).contains("\"type\":\"error\"");
    replayed.forEach(body -> seenByBrowser.append(body).append('\n'));
    // The page's own view, with a fresh fetch of every same-origin resource it loaded.
    seenByBrowser.append(browser.getPageSource());
    seenByBrowser.append(browser.executeAsyncScript(
        "const done = arguments[arguments.length - 1];"
            + "const urls = [location.pathname, ...performance.getEntriesByType('resource')"
            + "  .map(e => new URL(e.name)).filter(u => u.origin === location.origin && u.pathname !== '/api/chat')"
            + "  .map(u => u.pathname)];"
            + "Promise.all(urls.map(u => fetch(u).then(async r => u + ' ' + JSON.stringify([...r.headers]) + ' ' + await r.text())))"
            + "  .then(parts => done(parts.join('\\n') + document.cookie + JSON.stringify(localStorage)"
            + "    + JSON.stringify(sessionStorage) + document.documentElement.outerHTML))"
            + "  .catch(e => done('FETCH FAILED ' + e));"));
    seenByBrowser.append(browser.manage().getCookies());

    String all = seenByBrowser.toString();
    assertThat(all).as("what was read really includes the script, the answers and the headers")
        .contains("AbortController").contains("\"type\":\"done\"").contains("ollama pull qwen9:huge")
        .contains("X-Accel-Buffering").doesNotContain("FETCH FAILED");
    assertThat(all).doesNotContain(KEY).doesNotContain(KEY.substring("kw-secret-browser-".length()));
    // The server's side of it: the key did travel, upstream only.
    assertThat(lastChatUpstream().header("X-API-Key")).isEqualTo(KEY);
  }

  @Test
  void aRequestOverTheUsageLimitSaysWhenToTryAgain() {
    // Its own application, with room for two questions a minute from this address. Command-line
    // arguments outrank the tests' raised capacity (config/application.properties).
    try (ConfigurableApplicationContext limited = new SpringApplicationBuilder(ChatWebApplication.class).run(
        "--server.port=0", "--keyway.demo=false", "--chat.model=quick", "--ollama.base-url=" + OLLAMA.baseUrl(),
        "--ollama.api-key=" + KEY, "--ollama.api-key-header=X-API-Key", "--ollama.limits.requests.capacity=2")) {
      browser.get("http://127.0.0.1:" + limited.getEnvironment().getProperty("local.server.port") + "/");
      chromium.waitUntil(() -> !browser.findElement(By.id("model")).getDomProperty("value").isEmpty());
      for (int i = 1; i <= 2; i++) {
        int turns = i;
        ask("hello " + i);
        chromium.waitUntil(() -> browser.findElements(By.cssSelector("#log .turn.assistant")).size() == turns
            && "done".equals(state()));
      }
      ask("one more");
      chromium.waitUntil(() -> "error".equals(state()));

      WebElement error = browser.findElement(By.cssSelector("#log .turn.assistant:last-child .error"));
      assertThat(error.isDisplayed()).isTrue();
      assertThat(error.getText()).matches("Too many requests — try again in [1-9][0-9]* s");
      assertThat(error.getCssValue("color")).isEqualTo("rgba(138, 0, 0, 1)"); // the page's error style
      assertThat(browser.findElement(By.id("send")).isEnabled()).isTrue();
    }
  }

  @Test
  void aDemoAppSaysSoOnThePage() {
    try (ConfigurableApplicationContext demo = new SpringApplicationBuilder(ChatWebApplication.class)
        .properties("server.port=0", "keyway.demo=true").run()) {
      browser.get("http://127.0.0.1:" + demo.getEnvironment().getProperty("local.server.port") + "/");
      WebElement banner = browser.findElement(By.id("banner"));
      chromium.waitUntil(banner::isDisplayed);
      assertThat(banner.getText()).startsWith("Demo mode: no Ollama is configured")
          .contains("OLLAMA_HOST and OLLAMA_API_KEY");
    }
    browser.get(base() + "/");
    chromium.waitUntil(() -> !browser.findElement(By.id("model")).getDomProperty("value").isEmpty());
    assertThat(browser.findElement(By.id("banner")).isDisplayed()).as("no banner with a real server").isFalse();
  }
}
