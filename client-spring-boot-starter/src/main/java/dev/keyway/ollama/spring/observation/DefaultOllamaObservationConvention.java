package dev.keyway.ollama.spring.observation;

import dev.keyway.ollama.OllamaCallEvent;
import dev.keyway.ollama.OllamaCallObserver.CallInfo;
import dev.keyway.ollama.OllamaCallObserver.CallResult;
import io.micrometer.common.KeyValue;
import io.micrometer.common.KeyValues;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * OpenTelemetry's GenAI semantic conventions for an Ollama call.
 *
 * <ul>
 *   <li>Name {@value #NAME}; contextual (span) name {@code {gen_ai.operation.name}
 *       {gen_ai.request.model}}, for example {@code chat llama3.2}.
 *   <li>Low-cardinality key values, always present (so meters keep one set of tags; {@code none}
 *       when there is no value): {@code gen_ai.operation.name}, {@code gen_ai.provider.name}
 *       ({@code ollama}), {@code gen_ai.request.model}, {@code gen_ai.response.model},
 *       {@code server.address}, {@code server.port}, {@code error.type} (the outcome, such as
 *       {@code server_error} or {@code cancelled}, or {@code none} on success).
 *   <li>High-cardinality key values, when known: {@code gen_ai.usage.input_tokens},
 *       {@code gen_ai.usage.output_tokens}, {@code gen_ai.response.finish_reasons}, and the request
 *       options the conventions name: {@code gen_ai.request.temperature}, {@code .top_p},
 *       {@code .top_k}, {@code .max_tokens} (Ollama's {@code num_predict}), {@code .seed},
 *       {@code .stop_sequences}, {@code .presence_penalty}, {@code .frequency_penalty}.
 * </ul>
 *
 * <p>No prompt or completion text.
 */
public class DefaultOllamaObservationConvention implements OllamaObservationConvention {
  /** The observation's name. */
  public static final String NAME = "gen_ai.client.operation";
  /** Value of {@code gen_ai.provider.name}. */
  public static final String PROVIDER = "ollama";

  public static final String OPERATION_NAME = "gen_ai.operation.name";
  public static final String PROVIDER_NAME = "gen_ai.provider.name";
  public static final String REQUEST_MODEL = "gen_ai.request.model";
  public static final String RESPONSE_MODEL = "gen_ai.response.model";
  public static final String SERVER_ADDRESS = "server.address";
  public static final String SERVER_PORT = "server.port";
  public static final String ERROR_TYPE = "error.type";
  public static final String INPUT_TOKENS = "gen_ai.usage.input_tokens";
  public static final String OUTPUT_TOKENS = "gen_ai.usage.output_tokens";
  public static final String FINISH_REASONS = "gen_ai.response.finish_reasons";

  /** Ollama option name and its GenAI attribute, in the order they are added. */
  private static final String[][] OPTIONS = {
      {"temperature", "gen_ai.request.temperature"},
      {"top_p", "gen_ai.request.top_p"},
      {"top_k", "gen_ai.request.top_k"},
      {"num_predict", "gen_ai.request.max_tokens"},
      {"seed", "gen_ai.request.seed"},
      {"presence_penalty", "gen_ai.request.presence_penalty"},
      {"frequency_penalty", "gen_ai.request.frequency_penalty"},
  };
  private static final String STOP_SEQUENCES = "gen_ai.request.stop_sequences";

  @Override
  public String getName() {
    return NAME;
  }

  @Override
  public String getContextualName(OllamaObservationContext context) {
    String model = context.call().model();
    return model == null ? context.operationName() : context.operationName() + " " + model;
  }

  @Override
  public KeyValues getLowCardinalityKeyValues(OllamaObservationContext context) {
    CallInfo call = context.call();
    CallResult result = context.result();
    return KeyValues.of(
        KeyValue.of(OPERATION_NAME, context.operationName()),
        KeyValue.of(PROVIDER_NAME, PROVIDER),
        KeyValue.of(REQUEST_MODEL, orNone(call.model())),
        KeyValue.of(RESPONSE_MODEL, orNone(result == null ? null : result.responseModel())),
        KeyValue.of(SERVER_ADDRESS, call.serverAddress()),
        KeyValue.of(SERVER_PORT, String.valueOf(call.serverPort())),
        KeyValue.of(ERROR_TYPE, errorType(result)));
  }

  @Override
  public KeyValues getHighCardinalityKeyValues(OllamaObservationContext context) {
    List<KeyValue> values = new ArrayList<>();
    CallInfo call = context.call();
    for (String[] option : OPTIONS) {
      Number n = call.numberOption(option[0]);
      if (n != null) {
        values.add(KeyValue.of(option[1], n.toString()));
      }
    }
    if (call.options() != null && call.options().get("stop") instanceof List<?> stop && !stop.isEmpty()) {
      values.add(KeyValue.of(STOP_SEQUENCES, String.join(",", stop.stream().map(String::valueOf).toList())));
    }
    CallResult result = context.result();
    if (result != null) {
      if (result.inputTokens() != null) {
        values.add(KeyValue.of(INPUT_TOKENS, result.inputTokens().toString()));
      }
      if (result.outputTokens() != null) {
        values.add(KeyValue.of(OUTPUT_TOKENS, result.outputTokens().toString()));
      }
      if (result.doneReason() != null) {
        values.add(KeyValue.of(FINISH_REASONS, result.doneReason()));
      }
    }
    return KeyValues.of(values);
  }

  /** The outcome of a call that did not succeed, {@code none} for one that did or is running. */
  protected String errorType(@Nullable CallResult result) {
    return result == null || OllamaCallEvent.OUTCOME_SUCCESS.equals(result.outcome())
        ? KeyValue.NONE_VALUE : result.outcome();
  }

  private static String orNone(@Nullable String value) {
    return value == null || value.isEmpty() ? KeyValue.NONE_VALUE : value;
  }
}
