package dev.keyway.ollama.tools;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.fasterxml.jackson.databind.JsonNode;
import dev.keyway.ollama.OllamaClient;
import dev.keyway.ollama.OllamaException;
import dev.keyway.ollama.model.ChatRequest;
import dev.keyway.ollama.model.ChatResponse;
import dev.keyway.ollama.model.GenerateResponse;
import dev.keyway.ollama.model.Message;
import dev.keyway.ollama.model.ModelOptions;
import dev.keyway.ollama.tools.StructuredOutputException.Reason;
import java.util.List;
import okhttp3.mockwebserver.MockWebServer;
import okhttp3.mockwebserver.RecordedRequest;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;

/** A format from a record, and the model's answer parsed back into it or rejected precisely. */
class StructuredOutputTest {

  record Person(int age, boolean available) {}

  record Order(String id, List<Line> lines, @Nullable String note) {}

  record Line(String sku, int quantity) {}

  final StructuredOutput<Person> person = StructuredOutput.of(Person.class);

  @Test
  void formatIsTheSchemaOfTheRecordAndIsSentAsFormat() throws Exception {
    try (MockWebServer server = new MockWebServer();
        OllamaClient client = OllamaClient.builder().baseUrl(server.url("/").toString())
            .apiKey("kw-secret-tools-structured").build()) {
      server.enqueue(Wire.json("chat-nonstream-structured.json"));
      ChatResponse reply = client.chat(ChatRequest.builder().model("llama3.1")
          .addMessage(Message.user("Ollama is 22 years old and busy saving the world. Return a"
              + " JSON object with the age and availability."))
          .format(person.format())
          .options(ModelOptions.builder().temperature(0.0).build())
          .build());

      assertThat(person.parse(reply)).isEqualTo(new Person(22, false));
      RecordedRequest recorded = server.takeRequest();
      JsonNode body = Wire.parse(recorded.getBody().readUtf8());
      JsonNode expected = Wire.tree("chat-request-structured.json");
      assertThat(body.get("format")).isEqualTo(expected.get("format"));
      assertThat(body.get("messages")).isEqualTo(expected.get("messages"));
      assertThat(recorded.getHeader("X-API-Key")).isEqualTo("kw-secret-tools-structured");
    }
  }

  @Test
  void parsesNestedRecordsAndGenerateAnswers() {
    StructuredOutput<Order> order = StructuredOutput.of(Order.class);
    GenerateResponse generated = new GenerateResponse("m", null, null, null,
        "{\"id\":\"A1\",\"lines\":[{\"sku\":\"x\",\"quantity\":2}]}", null, true, "stop", null,
        null, null, null, null, null, null, null, null, null);

    assertThat(order.parse(generated))
        .isEqualTo(new Order("A1", List.of(new Line("x", 2)), null));
    assertThat(order.type()).isEqualTo(Order.class);
  }

  @Test
  void textAroundTheJsonIsNotJson() {
    StructuredOutputException e = parseFails(person, "Sure! Here it is: {\"age\": 22}");

    assertThat(e).isInstanceOf(OllamaException.class);
    assertThat(e.reason()).isEqualTo(Reason.NOT_JSON);
    assertThat(e.line()).isEqualTo(1);
    assertThat(e.column()).isEqualTo(1);
    assertThat(e.excerpt()).isEqualTo("Sure! Here it is: {\"age\": 22}");
    assertThat(e.getMessage()).startsWith("model output is not a valid Person (NOT_JSON): ")
        .contains("at line 1, column 1").endsWith("; near: Sure! Here it is: {\"age\": 22}");
  }

  @Test
  void answerCutOffIsNotJson() {
    StructuredOutputException e = parseFails(person, "{\"age\": 22, \"availa");

    assertThat(e.reason()).isEqualTo(Reason.NOT_JSON);
    assertThat(e.getMessage()).contains("end-of-input");
  }

  @Test
  void emptyAnswerIsNotJson() {
    StructuredOutputException e = parseFails(person, "  ");

    assertThat(e.reason()).isEqualTo(Reason.NOT_JSON);
    assertThat(e.getMessage()).contains("the answer is empty");
    assertThat(e.excerpt()).isEmpty();
  }

  @Test
  void secondValueAfterTheJsonIsNotJson() {
    assertThat(parseFails(person, "{\"age\":1,\"available\":true} {}").reason())
        .isEqualTo(Reason.NOT_JSON);
  }

  @Test
  void missingRequiredFieldNamesItAndWhere() {
    StructuredOutputException e = parseFails(person, "{\n  \"age\": 22\n}");

    assertThat(e.reason()).isEqualTo(Reason.MISSING_FIELD);
    assertThat(e.path()).isEqualTo("available");
    assertThat(e.line()).isEqualTo(3);
    assertThat(e.column()).isEqualTo(1);
    assertThat(e.excerpt()).isEqualTo("{   \"age\": 22 }");
    assertThat(e.getMessage()).contains("required property 'available' is missing");
  }

  @Test
  void nullRequiredFieldInANestedRecordIsMissing() {
    StructuredOutputException e = parseFails(StructuredOutput.of(Order.class),
        "{\"id\":\"A1\",\"lines\":[{\"sku\":\"a\",\"quantity\":1},{\"sku\":null,\"quantity\":1}]}");

    assertThat(e.reason()).isEqualTo(Reason.MISSING_FIELD);
    assertThat(e.path()).isEqualTo("lines[1].sku");
  }

  @Test
  void wrongTypeNamesTheFieldAndQuotesAround() {
    StructuredOutputException e =
        parseFails(person, "{\"age\": \"twenty-two\", \"available\": false}");

    assertThat(e.reason()).isEqualTo(Reason.WRONG_TYPE);
    assertThat(e.path()).isEqualTo("age");
    assertThat(e.line()).isEqualTo(1);
    assertThat(e.column()).isEqualTo(9);
    assertThat(e.getMessage()).contains("property 'age': ").contains("twenty-two");
  }

  @Test
  void arrayInsteadOfObjectIsWrongType() {
    assertThat(parseFails(person, "[22, false]").reason()).isEqualTo(Reason.WRONG_TYPE);
  }

  @Test
  void excerptOfALongAnswerIsAtMost80CharactersAroundTheSpot() {
    String filler = "x".repeat(300);
    String json = "{\"id\":\"" + filler + "\",\"lines\":[{\"sku\":\"a\",\"quantity\":\"many\"}],"
        + "\"note\":\"" + filler + "\"}";

    StructuredOutputException e = parseFails(StructuredOutput.of(Order.class), json);

    assertThat(e.reason()).isEqualTo(Reason.WRONG_TYPE);
    assertThat(e.path()).isEqualTo("lines[0].quantity");
    assertThat(e.excerpt()).hasSize(StructuredOutputException.MAX_EXCERPT).contains("\"many\"");
    assertThat(e.getMessage()).hasSizeLessThan(500);
  }

  static StructuredOutputException parseFails(StructuredOutput<?> output, String json) {
    return catchThrowableOfType(StructuredOutputException.class, () -> output.parse(json));
  }
}
