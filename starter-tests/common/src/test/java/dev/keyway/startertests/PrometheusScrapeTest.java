package dev.keyway.startertests;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.keyway.ollama.OllamaClient;
import dev.keyway.ollama.model.ChatRequest;
import dev.keyway.ollama.model.ChatResponse;
import dev.keyway.ollama.model.Message;
import dev.keyway.ollama.testkit.OllamaStandIn;
import dev.keyway.ollama.testkit.ScriptedModel;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.core.env.Environment;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * A real application on this Boot line with {@code micrometer-registry-prometheus} and the
 * {@code prometheus} endpoint exposed, and nothing else written: one typed chat through the
 * application's {@link OllamaClient} and one chat relayed by the gateway, then a scrape of
 * {@code /actuator/prometheus}. The text exposition is parsed into samples (name, labels, value);
 * the GenAI duration histogram and the token usage (input and output, summed to what the stand-in
 * answered) are there with the conventions' labels, and so is Keyway's {@code ollama_client_requests}.
 * No key and no prompt text is in the scrape.
 */
@Timeout(60)
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT, properties = {
    "management.endpoints.web.exposure.include=prometheus",
    // Boot's test support replaces every metrics exporter with a simple registry unless told
    // otherwise: Boot 3.5 reads only the first, Boot 4.1 the second (and still the first).
    "spring.test.observability.auto-configure=true",
    "spring.test.metrics.export=true",
    "ollama.gateway.enabled=true"})
class PrometheusScrapeTest {
  static final String KEY = "kw-secret-prometheus-" + Long.toHexString(System.nanoTime());
  static final String TYPED_PROMPT = "why is the sky blue, typed";
  static final String RELAYED_PROMPT = "why is the sea blue, relayed";
  static final ObjectMapper JSON = new ObjectMapper();
  static final OllamaStandIn OLLAMA = OllamaStandIn.builder().requireApiKey(KEY)
      .model(ScriptedModel.named("llama3.2").answer("Rayleigh scattering makes the sky blue.")).build();

  @DynamicPropertySource
  static void properties(DynamicPropertyRegistry registry) {
    registry.add("ollama.base-url", OLLAMA::baseUrl);
    registry.add("ollama.api-key", () -> KEY);
    registry.add("ollama.api-key-header", () -> "X-API-Key");
  }

  @AfterAll
  static void stop() {
    OLLAMA.close();
  }

  @Autowired Environment environment;
  @Autowired OllamaClient ollama;
  final HttpClient http = HttpClient.newHttpClient();

  URI uri(String path) {
    return URI.create("http://127.0.0.1:" + environment.getProperty("local.server.port") + path);
  }

  @Test
  void theGenAiMetersOfATypedAndARelayedChatAreInTheScrapeWithoutKeyOrPrompt() throws Exception {
    ChatResponse typed = ollama.chat(ChatRequest.builder().model("llama3.2")
        .addMessage(Message.user(TYPED_PROMPT)).build());

    HttpResponse<String> relayed = http.send(HttpRequest.newBuilder(uri("/ollama/api/chat"))
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(
                "{\"model\":\"llama3.2\",\"messages\":[{\"role\":\"user\",\"content\":\""
                    + RELAYED_PROMPT + "\"}],\"stream\":false}"))
            .timeout(Duration.ofSeconds(20)).build(),
        HttpResponse.BodyHandlers.ofString());
    assertThat(relayed.statusCode()).isEqualTo(200);
    JsonNode relayedAnswer = JSON.readTree(relayed.body());

    long input = Objects.requireNonNull(typed.promptEvalCount())
        + relayedAnswer.path("prompt_eval_count").asLong(-1);
    long output = Objects.requireNonNull(typed.evalCount()) + relayedAnswer.path("eval_count").asLong(-1);
    assertThat(input).as("the stand-in's prompt_eval_count").isPositive();
    assertThat(output).as("the stand-in's eval_count").isPositive();

    HttpResponse<String> scrape = http.send(HttpRequest.newBuilder(uri("/actuator/prometheus"))
        .timeout(Duration.ofSeconds(20)).build(), HttpResponse.BodyHandlers.ofString());
    assertThat(scrape.statusCode()).isEqualTo(200);
    List<Sample> samples = Sample.parse(scrape.body());

    Map<String, String> chat = Map.of("gen_ai_operation_name", "chat",
        "gen_ai_provider_name", "ollama", "gen_ai_request_model", "llama3.2");

    // The duration: a histogram in seconds, both calls counted, with its buckets.
    assertThat(sum(samples, "gen_ai_client_operation_duration_seconds_count", chat)).isEqualTo(2.0);
    assertThat(sum(samples, "gen_ai_client_operation_duration_seconds_sum", chat)).isPositive();
    assertThat(select(samples, "gen_ai_client_operation_duration_seconds_bucket", chat))
        .anySatisfy(s -> assertThat(s.labels()).containsEntry("le", "+Inf"))
        .allSatisfy(s -> assertThat(s.labels()).containsEntry("error_type", "none")
            .containsEntry("gen_ai_response_model", "llama3.2"));

    // Token usage: a histogram named as OpenTelemetry's Prometheus exporter names the conventions'
    // gen_ai.client.token.usage ({token} is an annotation, no suffix), one series per token type,
    // with the conventions' buckets, whose sums are what the stand-in reported.
    Map<String, String> inputTokens = with(chat, "gen_ai_token_type", "input");
    Map<String, String> outputTokens = with(chat, "gen_ai_token_type", "output");
    assertThat(sum(samples, "gen_ai_client_token_usage_count", inputTokens)).isEqualTo(2.0);
    assertThat(sum(samples, "gen_ai_client_token_usage_sum", inputTokens)).isEqualTo((double) input);
    assertThat(sum(samples, "gen_ai_client_token_usage_count", outputTokens)).isEqualTo(2.0);
    assertThat(sum(samples, "gen_ai_client_token_usage_sum", outputTokens)).isEqualTo((double) output);
    assertThat(select(samples, "gen_ai_client_token_usage_bucket", outputTokens))
        .anySatisfy(s -> assertThat(s.labels()).containsEntry("le", "16.0"))
        .anySatisfy(s -> assertThat(s.labels()).containsEntry("le", "+Inf"));

    // Keyway's own request meter, which the listener records for typed and relayed calls alike.
    assertThat(sum(samples, "ollama_client_requests_seconds_count",
        Map.of("endpoint", "api/chat", "model", "llama3.2", "outcome", "success"))).isEqualTo(2.0);

    // Neither the key (in any letter case) nor a prompt is anywhere in the scrape.
    String lower = scrape.body().toLowerCase(Locale.ROOT);
    assertThat(lower).doesNotContain("kw-secret").doesNotContain(KEY.toLowerCase(Locale.ROOT))
        .doesNotContain(TYPED_PROMPT).doesNotContain(RELAYED_PROMPT);
  }

  static Map<String, String> with(Map<String, String> labels, String name, String value) {
    Map<String, String> out = new LinkedHashMap<>(labels);
    out.put(name, value);
    return out;
  }

  /** The samples named {@code name} whose labels include {@code labels}; fails when there are none. */
  static List<Sample> select(List<Sample> samples, String name, Map<String, String> labels) {
    List<Sample> out = new ArrayList<>();
    for (Sample s : samples) {
      if (s.name().equals(name) && s.labels().entrySet().containsAll(labels.entrySet())) {
        out.add(s);
      }
    }
    assertThat(out).as("samples %s%s among %s", name, labels, names(samples)).isNotEmpty();
    return out;
  }

  static double sum(List<Sample> samples, String name, Map<String, String> labels) {
    return select(samples, name, labels).stream().mapToDouble(Sample::value).sum();
  }

  static List<String> names(List<Sample> samples) {
    return samples.stream().map(Sample::name).filter(n -> n.startsWith("gen_ai") || n.startsWith("ollama"))
        .distinct().sorted().toList();
  }

  /** One line of Prometheus' text exposition format: {@code name{label="value",…} value [timestamp]}. */
  record Sample(String name, Map<String, String> labels, double value) {
    static final Pattern LINE = Pattern.compile("([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\\{(.*)})?\\s+(\\S+)(?:\\s+\\S+)?");
    static final Pattern LABEL = Pattern.compile("\\s*([a-zA-Z_][a-zA-Z0-9_]*)=\"((?:[^\"\\\\]|\\\\.)*)\"\\s*,?");

    static List<Sample> parse(String exposition) {
      List<Sample> samples = new ArrayList<>();
      for (String line : exposition.split("\n")) {
        if (line.isBlank() || line.startsWith("#")) {
          continue;
        }
        Matcher m = LINE.matcher(line);
        assertThat(m.matches()).as("an exposition line: %s", line).isTrue();
        Map<String, String> labels = new LinkedHashMap<>();
        if (m.group(2) != null) {
          Matcher l = LABEL.matcher(m.group(2));
          int end = 0;
          while (l.find() && l.start() == end) {
            labels.put(l.group(1), l.group(2).replace("\\\"", "\"").replace("\\n", "\n").replace("\\\\", "\\"));
            end = l.end();
          }
          assertThat(end).as("labels of %s", line).isEqualTo(m.group(2).length());
        }
        samples.add(new Sample(m.group(1), labels, parseValue(m.group(3))));
      }
      return samples;
    }

    static double parseValue(String text) {
      return switch (text) {
        case "+Inf" -> Double.POSITIVE_INFINITY;
        case "-Inf" -> Double.NEGATIVE_INFINITY;
        case "NaN" -> Double.NaN;
        default -> Double.parseDouble(text);
      };
    }
  }
}
