package dev.keyway.ollama.tools;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import com.fasterxml.jackson.databind.JsonNode;
import java.time.LocalDate;
import java.util.List;
import java.util.Optional;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;

/** The schemas generated for typed functions, @ToolMethod methods and structured output. */
class SchemaGenerationTest {

  record WeatherArgs(@JsonPropertyDescription("The city to get the weather for") String city) {}

  enum Unit { CELSIUS, FAHRENHEIT }

  record Forecast(
      String city,
      int days,
      @Nullable Unit unit,
      Optional<LocalDate> from,
      @JsonProperty("max_results") @Nullable Integer maxResults,
      List<Stop> stops) {}

  record Stop(String name, @Nullable String note) {}

  static final class Legacy {
    @JsonProperty(required = true)
    public String id = "";
    public @Nullable String comment;
  }

  static JsonNode parameters(ToolFunction f) {
    return Wire.toTree(f.tool()).get("function").get("parameters");
  }

  @Test
  void recordSchemaMatchesTheDocumentedToolDefinition() {
    ToolFunction f = ToolFunction.of("get_weather", "Get the weather in a given city",
        WeatherArgs.class, a -> "11 degrees celsius");

    JsonNode expected = Wire.tree("chat-request-tool-result.json").get("tools").get(0);
    assertThat(Wire.toTree(f.tool())).isEqualTo(expected);
  }

  @Test
  void recordComponentsAreRequiredUnlessNullableOrOptional() {
    JsonNode schema = parameters(ToolFunction.of("forecast", "d", Forecast.class, a -> ""));

    assertThat(schema.get("required")).extracting(JsonNode::asText)
        .containsExactly("city", "days", "stops");
    assertThat(schema.get("properties").fieldNames()).toIterable()
        .containsExactly("city", "days", "unit", "from", "max_results", "stops");
    assertThat(schema.at("/properties/days/type").asText()).isEqualTo("integer");
    assertThat(schema.at("/properties/unit/enum")).extracting(JsonNode::asText)
        .containsExactly("CELSIUS", "FAHRENHEIT");
    assertThat(schema.at("/properties/from/format").asText()).isEqualTo("date");
    assertThat(schema.at("/properties/stops/type").asText()).isEqualTo("array");
    assertThat(schema.at("/properties/stops/items/required")).extracting(JsonNode::asText)
        .containsExactly("name");
    assertThat(schema.has("$schema")).isFalse();
  }

  @Test
  void classPropertiesAreRequiredOnlyWhenMarked() {
    JsonNode schema = Wire.toTree(StructuredOutput.of(Legacy.class).format().value());

    assertThat(schema.get("required")).extracting(JsonNode::asText).containsExactly("id");
    assertThat(schema.get("properties").has("comment")).isTrue();
  }

  static final class Calendar {
    @ToolMethod(description = "Events on a day")
    String events(@Param(value = "day", description = "ISO date") LocalDate day,
        @Param("limit") @Nullable Integer limit, @Param("stop") Stop stop) {
      return "";
    }

    @ToolMethod(name = "add_event", description = "Adds an event")
    static void add(@Param("title") String title, @Param("tags") Optional<List<String>> tags) {}

    String notATool() {
      return "";
    }
  }

  @Test
  void methodToolsHaveOnePropertyPerParameter() {
    Toolbox toolbox = Toolbox.fromMethods(new Calendar());

    assertThat(toolbox.functions()).extracting(ToolFunction::name)
        .containsExactly("add_event", "events");
    JsonNode events = parameters(toolbox.functions().get(1));
    assertThat(events.get("type").asText()).isEqualTo("object");
    assertThat(events.at("/properties/day/type").asText()).isEqualTo("string");
    assertThat(events.at("/properties/day/description").asText()).isEqualTo("ISO date");
    assertThat(events.at("/properties/limit/type").asText()).isEqualTo("integer");
    assertThat(events.at("/properties/stop/properties/name/type").asText()).isEqualTo("string");
    assertThat(events.get("required")).extracting(JsonNode::asText).containsExactly("day", "stop");
    assertThat(toolbox.functions().get(1).description()).isEqualTo("Events on a day");

    JsonNode add = parameters(toolbox.functions().get(0));
    assertThat(add.get("required")).extracting(JsonNode::asText).containsExactly("title");
    assertThat(add.at("/properties/tags/type").asText()).isEqualTo("array");
    assertThat(add.at("/properties/tags/items/type").asText()).isEqualTo("string");
  }

  static final class Unnamed {
    @ToolMethod(description = "x")
    String lookup(String key) {
      return key;
    }
  }

  @Test
  void parameterWithoutANameIsRefusedWithTheFix() {
    assertThatThrownBy(() -> Toolbox.fromMethods(new Unnamed()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("Unnamed.lookup")
        .hasMessageContaining("@Param(\"name\")")
        .hasMessageContaining("-parameters");
  }

  @Test
  void targetWithoutToolsIsRefused() {
    assertThatThrownBy(() -> Toolbox.fromMethods(new Object()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("no method annotated @ToolMethod");
  }

  @Test
  void duplicateToolNamesAreRefused() {
    ToolFunction a = ToolFunction.of("same", "a", WeatherArgs.class, x -> "");
    assertThatThrownBy(() -> Toolbox.of(a, a))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("'same'");
  }
}
