package dev.keyway.ollama.tools;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.keyway.ollama.model.Message;
import dev.keyway.ollama.model.ToolCall;
import java.io.IOException;
import java.lang.reflect.UndeclaredThrowableException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;

/** Executing tool calls: results, and the errors the model gets back to correct its call. */
class ToolboxTest {

  record WeatherArgs(String city, int days, @Nullable String unit) {}

  record Weather(String city, int celsius) {}

  final ToolFunction weather = ToolFunction.of("get_weather", "Weather for a city",
      WeatherArgs.class, a -> {
        if (a.city().equals("Tokio")) {
          throw new ToolCallException("get_weather", ToolCallException.Reason.INVALID_ARGUMENTS,
              "no city called Tokio; did you mean Tokyo?");
        }
        return new Weather(a.city(), 11 + a.days() + (a.unit() == null ? 0 : 100));
      });
  final Toolbox toolbox = Toolbox.of(weather);

  static ToolCall call(String name, Object... keyValues) {
    Map<String, Object> args = new LinkedHashMap<>();
    for (int i = 0; i < keyValues.length; i += 2) {
      args.put((String) keyValues[i], keyValues[i + 1]);
    }
    return new ToolCall("call_1", new ToolCall.Function(0, name, args));
  }

  @Test
  void typedFunctionGetsTheRecordAndItsResultIsSentAsJson() {
    ToolResult result = toolbox.execute(call("get_weather", "city", "Tokyo", "days", 2));

    assertThat(result.isError()).isFalse();
    assertThat(result.content()).isEqualTo("{\"city\":\"Tokyo\",\"celsius\":13}");
    assertThat(result.toMessage()).isEqualTo(
        Message.tool("get_weather", "call_1", "{\"city\":\"Tokyo\",\"celsius\":13}"));
  }

  @Test
  void scalarsAreCoercedLeniently() {
    assertThat(toolbox.execute(call("get_weather", "city", "Oslo", "days", "1")).content())
        .isEqualTo("{\"city\":\"Oslo\",\"celsius\":12}");
  }

  @Test
  void missingRequiredArgumentIsReportedToTheModel() {
    ToolResult result = toolbox.execute(call("get_weather", "town", "Tokyo", "days", 1));

    assertThat(result.isError()).isTrue();
    assertThat(result.error().reason()).isEqualTo(ToolCallException.Reason.INVALID_ARGUMENTS);
    assertThat(result.error().toolName()).isEqualTo("get_weather");
    assertThat(result.content()).isEqualTo("Error: Invalid arguments for tool 'get_weather':"
        + " required property 'city' is missing. Call get_weather again with arguments that"
        + " match its parameters schema.");
    assertThat(result.toMessage().toolCallId()).isEqualTo("call_1");
  }

  @Test
  void nullForARequiredArgumentIsReported() {
    ToolResult result = toolbox.execute(call("get_weather", "city", null, "days", 1));

    assertThat(result.content()).contains("required property 'city' is null");
  }

  @Test
  void wrongTypeIsReportedWithTheArgumentName() {
    ToolResult result = toolbox.execute(call("get_weather", "city", "Tokyo", "days", "three"));

    assertThat(result.error().reason()).isEqualTo(ToolCallException.Reason.INVALID_ARGUMENTS);
    assertThat(result.content()).startsWith("Error: Invalid arguments for tool 'get_weather':"
        + " property 'days': ").contains("\"three\"");
  }

  @Test
  void optionalArgumentMayBeLeftOut() {
    assertThat(toolbox.execute(call("get_weather", "city", "Lima", "days", 0, "unit", "F"))
        .content()).contains("111");
    assertThat(toolbox.execute(call("get_weather", "city", "Lima", "days", 0)).content())
        .contains("11");
  }

  @Test
  void unknownToolListsTheAvailableOnes() {
    ToolResult result = toolbox.execute(call("get_wether", "city", "Tokyo"));

    assertThat(result.error().reason()).isEqualTo(ToolCallException.Reason.UNKNOWN_TOOL);
    assertThat(result.content())
        .isEqualTo("Error: Unknown tool 'get_wether'. Available tools: get_weather.");
    assertThat(result.toolName()).isEqualTo("get_wether");
  }

  @Test
  void toolMayThrowToolCallExceptionToAskForACorrection() {
    ToolResult result = toolbox.execute(call("get_weather", "city", "Tokio", "days", 1));

    assertThat(result.content()).isEqualTo("Error: no city called Tokio; did you mean Tokyo?");
  }

  @Test
  void otherExceptionsFromATypedFunctionPassThrough() {
    IllegalStateException boom = new IllegalStateException("service down");
    Toolbox failing = Toolbox.of(ToolFunction.of("t", "d", WeatherArgs.class, a -> {
      throw boom;
    }));

    assertThatThrownBy(() -> failing.execute(call("t", "city", "x", "days", 1))).isSameAs(boom);
  }

  static final class Calendar {
    final StringBuilder log = new StringBuilder();

    @ToolMethod(description = "Events on a day")
    List<String> events(@Param("day") String day, @Param("limit") Optional<Integer> limit) {
      return List.of(day + ":" + limit.orElse(-1));
    }

    @ToolMethod(description = "Adds an event")
    void add(@Param("title") String title) {
      log.append(title);
    }

    @ToolMethod(description = "Fails")
    String broken(@Param("x") int x) throws IOException {
      throw new IOException("disk " + x);
    }

    @ToolMethod(description = "Fails unchecked")
    String crash() {
      throw new UnsupportedOperationException("crash");
    }
  }

  @Test
  void methodToolsAreCalledOnTheTarget() {
    Calendar calendar = new Calendar();
    Toolbox tools = Toolbox.fromMethods(calendar);

    assertThat(tools.execute(call("events", "day", "2026-01-02")).content())
        .isEqualTo("[\"2026-01-02:-1\"]");
    assertThat(tools.execute(call("events", "day", "d", "limit", 3)).content())
        .isEqualTo("[\"d:3\"]");
    assertThat(tools.execute(call("add", "title", "Lunch")).content()).isEqualTo("null");
    assertThat(calendar.log).hasToString("Lunch");
  }

  @Test
  void methodToolArgumentErrorsAreReportedToTheModel() {
    Toolbox tools = Toolbox.fromMethods(new Calendar());

    assertThat(tools.execute(call("events")).content())
        .contains("required property 'day' is missing");
    assertThat(tools.execute(call("broken", "x", List.of(1))).content())
        .startsWith("Error: Invalid arguments for tool 'broken': property 'x': ");
  }

  @Test
  void methodToolExceptionsPassThroughAndCheckedOnesAreWrapped() {
    Toolbox tools = Toolbox.fromMethods(new Calendar());

    assertThatThrownBy(() -> tools.execute(call("crash")))
        .isInstanceOf(UnsupportedOperationException.class).hasMessage("crash");
    assertThatThrownBy(() -> tools.execute(call("broken", "x", 7)))
        .isInstanceOf(UndeclaredThrowableException.class)
        .hasRootCauseInstanceOf(IOException.class).hasRootCauseMessage("disk 7");
  }

  @Test
  void toolboxesCombineInOrder() {
    Toolbox all = toolbox.plus(Toolbox.fromMethods(new Calendar()));

    assertThat(all.tools()).extracting(t -> t.function().name())
        .containsExactly("get_weather", "add", "broken", "crash", "events");
    assertThatThrownBy(() -> all.plus(toolbox)).isInstanceOf(IllegalArgumentException.class);
  }
}
