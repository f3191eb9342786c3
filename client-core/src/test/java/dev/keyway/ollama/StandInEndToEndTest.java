package dev.keyway.ollama;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.keyway.ollama.model.ChatRequest;
import dev.keyway.ollama.model.ChatResponse;
import dev.keyway.ollama.model.GenerateRequest;
import dev.keyway.ollama.model.Message;
import dev.keyway.ollama.model.ModelOptions;
import dev.keyway.ollama.testkit.Fault;
import dev.keyway.ollama.testkit.OllamaStandIn;
import dev.keyway.ollama.testkit.OllamaStandInExtension;
import dev.keyway.ollama.testkit.ScriptedModel;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The client against the testkit stand-in behind a required key: what a user's own tests do. */
class StandInEndToEndTest {
  static final String KEY = "kw-secret-e2e-31337";

  @RegisterExtension
  final OllamaStandInExtension ollama = OllamaStandInExtension.with(b -> b
      .requireApiKey(KEY)
      .model(ScriptedModel.named("llama3.2").thinking("Hmm", ".").answer("The sky is blue.")
          .family("llama").parameterSize("3.2B"))
      .model(ScriptedModel.named("slow").answer("one two three four five six")
          .tokenDelay(Duration.ofMillis(100))));

  final List<OllamaCallEvent> events = new CopyOnWriteArrayList<>();
  OllamaClient client;

  @BeforeEach
  void setUp() {
    client = OllamaClient.builder().baseUrl(ollama.standIn().baseUrl()).apiKey(KEY)
        .retryBackoff(Duration.ofMillis(1), Duration.ofMillis(5)).listener(events::add).build();
  }

  @AfterEach
  void tearDown() {
    client.close();
  }

  static ChatRequest chat(String model) {
    return ChatRequest.builder().model(model).addMessage(Message.user("Why is the sky blue?")).build();
  }

  @Test
  void quickStartInFiveLines() {
    StringBuilder printed = new StringBuilder();
    try (OllamaStream<ChatResponse> s = client.chatStream(chat("llama3.2"))) {
      for (ChatResponse chunk : s) {
        printed.append(chunk.message().content());
      }
      ChatResponse whole = s.result();
      assertThat(whole.message().content()).isEqualTo("The sky is blue.");
      assertThat(whole.message().thinking()).isEqualTo("Hmm.");
      assertThat(whole.evalCount()).isPositive();
    }
    assertThat(printed).hasToString("The sky is blue.");
    assertThat(ollama.standIn().takeRequest().header("X-API-Key")).isEqualTo(KEY);
  }

  @Test
  void unaryChatGenerateAndTags() {
    assertThat(client.chat(chat("llama3.2")).message().content()).isEqualTo("The sky is blue.");
    assertThat(client.generate(GenerateRequest.builder().model("llama3.2").prompt("p").build()).response())
        .isEqualTo("The sky is blue.");
    assertThat(client.listModels()).extracting(m -> m.name()).contains("llama3.2:latest", "slow:latest");
    assertThat(client.version()).isNotBlank();
    assertThat(ollama.standIn().requests()).allSatisfy(r -> assertThat(r.header("X-API-Key")).isEqualTo(KEY));
  }

  @Test
  void wrongKeyAndNoKeyAreAuthenticationErrors() {
    try (OllamaClient wrong = OllamaClient.builder().baseUrl(ollama.standIn().baseUrl()).apiKey("kw-secret-nope").build();
        OllamaClient none = OllamaClient.builder().baseUrl(ollama.standIn().baseUrl()).build()) {
      assertThatThrownBy(wrong::listModels).isInstanceOf(OllamaAuthenticationException.class)
          .hasMessageContaining("X-API-Key").hasMessageNotContaining("nope");
      assertThatThrownBy(() -> none.chatStream(chat("llama3.2")))
          .isInstanceOf(OllamaAuthenticationException.class).hasMessageContaining("No credential");
    }
  }

  @Test
  void unknownModelIsModelNotFound() {
    assertThatThrownBy(() -> client.chat(chat("nope:1b")))
        .isInstanceOfSatisfying(OllamaModelNotFoundException.class, e -> assertThat(e.model()).isEqualTo("nope:1b"));
  }

  @Test
  void inBandErrorAfterTwoTokensDeliversThemThenThrows() {
    ollama.standIn().enqueue(Fault.errorAfter(2, "runner crashed"));
    List<String> seen = new ArrayList<>();
    try (OllamaStream<ChatResponse> s = client.chatStream(chat("llama3.2"))) {
      assertThatThrownBy(() -> s.forEach(c -> seen.add(c.message().content())))
          .isInstanceOf(OllamaStreamException.class).hasMessageContaining("runner crashed");
    }
    assertThat(seen).hasSize(2);
  }

  @Test
  void dropAfterTokensIsATransportErrorAndNothingIsRetried() {
    ollama.standIn().enqueue(Fault.dropAfter(3));
    List<String> seen = new ArrayList<>();
    try (OllamaStream<ChatResponse> s = client.chatStream(chat("slow"))) {
      assertThatThrownBy(() -> s.forEach(c -> seen.add(c.message().content())))
          .isInstanceOf(OllamaTransportException.class);
    }
    assertThat(String.join("", seen)).isEqualTo("one two three");
    assertThat(ollama.standIn().requestCount()).isEqualTo(1);
  }

  @Test
  void dropInTheMiddleOfAUtf8CharacterFailsWithoutAGarbledToken() {
    ollama.standIn().enqueue(Fault.dropMidCharacter(1));
    List<String> seen = new ArrayList<>();
    try (OllamaStream<ChatResponse> s = client.chatStream(chat("llama3.2"))) {
      assertThatThrownBy(() -> s.forEach(c -> seen.add(c.message().content())))
          .isInstanceOf(OllamaException.class);
    }
    assertThat(seen).hasSize(1).noneMatch(t -> t.contains("\uFFFD"));
  }

  @Test
  void endWithoutDoneIsAStreamError() {
    ollama.standIn().enqueue(Fault.endWithoutDone(2));
    try (OllamaStream<ChatResponse> s = client.chatStream(chat("llama3.2"))) {
      assertThatThrownBy(s::result).isInstanceOf(OllamaStreamException.class).hasMessageContaining("incomplete");
    }
  }

  @Test
  void serviceUnavailableTwiceIsRetriedTransparently() {
    ollama.standIn().enqueue(Fault.status(503, "{\"error\":\"server busy, please try again.  maximum pending requests exceeded\"}").times(2));
    assertThat(client.chat(chat("llama3.2")).message().content()).isEqualTo("The sky is blue.");
    assertThat(ollama.standIn().requestCount()).isEqualTo(3);
  }

  @Test
  void slowFirstByteIsWaitedFor() {
    ollama.standIn().enqueue(Fault.slowFirstByte(Duration.ofMillis(300)));
    try (OllamaStream<ChatResponse> s = client.chatStream(chat("llama3.2"))) {
      assertThat(s.result().done()).isTrue();
    }
  }

  @Test
  void closingTheStreamEarlyMakesTheServerSeeTheDisconnect() {
    try (OllamaStream<ChatResponse> s = client.chatStream(chat("slow"))) {
      assertThat(s.iterator().next().message().content()).isEqualTo("one");
    }
    assertThat(ollama.standIn().awaitDisconnect(Duration.ofSeconds(20))).isTrue();
  }

  @Test
  void numPredictIsSentAsAnOption() {
    ChatRequest limited = chat("slow").toBuilder().options(ModelOptions.builder().numPredict(2).build()).build();
    ChatResponse reply = client.chat(limited);
    assertThat(reply.doneReason()).isEqualTo("length");
    assertThat(ollama.standIn().takeRequest().bodyJson().get("options").get("num_predict").asInt()).isEqualTo(2);
  }

  @Test
  void listenerSeesEveryCallWithLowCardinalityFields() {
    client.chat(chat("llama3.2"));
    try (OllamaStream<ChatResponse> s = client.chatStream(chat("llama3.2"))) {
      s.result();
    }
    assertThatThrownBy(() -> client.chat(chat("missing"))).isInstanceOf(OllamaModelNotFoundException.class);
    try (OllamaStream<ChatResponse> s = client.chatStream(chat("slow"))) {
      s.iterator().next();
    }
    assertThat(events).hasSize(4);
    assertThat(events.get(0)).satisfies(e -> {
      assertThat(e.endpoint()).isEqualTo("api/chat");
      assertThat(e.model()).isEqualTo("llama3.2");
      assertThat(e.outcome()).isEqualTo(OllamaCallEvent.OUTCOME_SUCCESS);
      assertThat(e.status()).isEqualTo(200);
      assertThat(e.streamed()).isFalse();
      assertThat(e.generatedTokens()).isPositive();
    });
    assertThat(events.get(1).streamed()).isTrue();
    assertThat(events.get(1).timeToFirstChunk()).isNotNull().isLessThanOrEqualTo(events.get(1).duration());
    assertThat(events.get(2).outcome()).isEqualTo(OllamaCallEvent.OUTCOME_MODEL_NOT_FOUND);
    assertThat(events.get(2).status()).isEqualTo(404);
    assertThat(events.get(3).outcome()).isEqualTo(OllamaCallEvent.OUTCOME_CANCELLED);
    assertThat(events.toString()).doesNotContain(KEY).doesNotContain("Why is the sky blue?");
  }
}
