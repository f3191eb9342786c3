package dev.keyway.ollama.spring.observation;

import dev.keyway.ollama.OllamaCallEvent;
import dev.keyway.ollama.OllamaCancelledException;
import dev.keyway.ollama.OllamaHttpException;
import dev.keyway.ollama.OllamaCallObserver.CallInfo;
import dev.keyway.ollama.OllamaCallObserver.CallResult;
import io.micrometer.common.KeyValue;
import io.micrometer.common.KeyValues;
import java.io.InterruptedIOException;
import java.time.Duration;
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
 *       ({@code ollama}), {@code gen_ai.request.model}, {@code server.address},
 *       {@code server.port}; on a client over several servers ({@code ollama.servers}), also
 *       {@value #SERVER_NAME}, the configured name of the server the call went to (present on
 *       every call of such a client, absent on every call of a single-server one).
 *   <li>High-cardinality key values (span attributes only), when known:
 *       {@code gen_ai.response.model} when there is an answer naming its model (see
 *       {@link #responseModel}; a failed call has none, and no made-up value either: the GenAI
 *       meters tag it {@code none}); {@code error.type} on a
 *       call that did not succeed (see {@link #errorType}); {@code gen_ai.request.stream}
 *       ({@code true}) on a streamed call; {@code gen_ai.usage.input_tokens},
 *       {@code gen_ai.usage.output_tokens}, {@code gen_ai.response.finish_reasons},
 *       {@code gen_ai.response.time_to_first_chunk} (seconds), Ollama's
 *       {@code ollama.response.load_duration} (seconds), and the request options the conventions
 *       name: {@code gen_ai.request.temperature}, {@code .top_p}, {@code .top_k},
 *       {@code .max_tokens} (Ollama's {@code num_predict}), {@code .seed},
 *       {@code .stop_sequences}, {@code .presence_penalty}, {@code .frequency_penalty}.
 *   <li>Only when {@code ollama.observation.capture-message-content} is on:
 *       {@code gen_ai.input.messages}, {@code gen_ai.output.messages},
 *       {@code gen_ai.system_instructions} (JSON, as the conventions define them).
 * </ul>
 *
 * <p>{@code error.type} and {@code gen_ai.response.model} are not low-cardinality key values
 * because each exists only on some calls (on failure; with an answer): a meter whose tag keys
 * change from one call to the next is dropped by Prometheus. The GenAI meters carry both, with
 * {@code none} when there is no value, like Spring Boot's own {@code error} tag.
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
  /**
   * The configured name ({@code ollama.servers[i].name}) of the server a call went to, on a client
   * over several servers. Keyway's own attribute: {@code server} alone is the conventions'
   * namespace of {@code server.address}, so it is named under {@code ollama.}, like
   * {@value #LOAD_DURATION}. The {@code ollama.client.*} meters call the same value {@code server}.
   */
  public static final String SERVER_NAME = "ollama.server.name";
  public static final String ERROR_TYPE = "error.type";
  public static final String INPUT_TOKENS = "gen_ai.usage.input_tokens";
  public static final String OUTPUT_TOKENS = "gen_ai.usage.output_tokens";
  public static final String FINISH_REASONS = "gen_ai.response.finish_reasons";
  public static final String REQUEST_STREAM = "gen_ai.request.stream";
  public static final String TIME_TO_FIRST_CHUNK = "gen_ai.response.time_to_first_chunk";
  public static final String LOAD_DURATION = "ollama.response.load_duration";
  public static final String INPUT_MESSAGES = "gen_ai.input.messages";
  public static final String OUTPUT_MESSAGES = "gen_ai.output.messages";
  public static final String SYSTEM_INSTRUCTIONS = "gen_ai.system_instructions";
  /** {@code error.type} of a stream its caller closed or cancelled before its end. */
  public static final String CANCELLED = "cancelled";
  /** {@code error.type} of a call that ran out of a timeout. */
  public static final String TIMEOUT = "timeout";

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
    KeyValues values = KeyValues.of(
        KeyValue.of(OPERATION_NAME, context.operationName()),
        KeyValue.of(PROVIDER_NAME, PROVIDER),
        KeyValue.of(REQUEST_MODEL, orNone(call.model())),
        KeyValue.of(SERVER_ADDRESS, call.serverAddress()),
        KeyValue.of(SERVER_PORT, String.valueOf(call.serverPort())));
    String server = context.serverName();
    return server == null ? values : values.and(KeyValue.of(SERVER_NAME, server));
  }

  @Override
  public KeyValues getHighCardinalityKeyValues(OllamaObservationContext context) {
    List<KeyValue> values = new ArrayList<>();
    CallInfo call = context.call();
    if (call.streamed()) {
      values.add(KeyValue.of(REQUEST_STREAM, "true"));
    }
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
    addIfPresent(values, RESPONSE_MODEL, responseModel(context));
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
      if (result.timeToFirstChunk() != null) {
        values.add(KeyValue.of(TIME_TO_FIRST_CHUNK, seconds(result.timeToFirstChunk())));
      }
      if (result.loadDuration() != null) {
        values.add(KeyValue.of(LOAD_DURATION, seconds(result.loadDuration())));
      }
    }
    String error = errorType(context);
    if (error != null) {
      values.add(KeyValue.of(ERROR_TYPE, error));
    }
    addIfPresent(values, INPUT_MESSAGES, context.inputMessages());
    addIfPresent(values, SYSTEM_INSTRUCTIONS, context.systemInstructions());
    addIfPresent(values, OUTPUT_MESSAGES, context.outputMessages());
    return KeyValues.of(values);
  }

  /**
   * {@code gen_ai.response.model}: the model the answer named, or {@code null} when there is
   * none (the call failed before an answer, is still running, or the answer named no model). The
   * GenAI meters use the same value, {@code none} for {@code null}.
   */
  public @Nullable String responseModel(OllamaObservationContext context) {
    CallResult result = context.result();
    String model = result == null ? null : result.responseModel();
    return model == null || model.isEmpty() ? null : model;
  }

  /**
   * {@code error.type} of a call that did not succeed; {@code null} for one that succeeded or is
   * still running. The HTTP status for an error answer ({@code 404}, {@code 429}, {@code 500});
   * {@code cancelled} for a stream its caller closed or cancelled (or left); {@code timeout} when
   * a timeout ran out; otherwise the exception's class name (for example
   * {@code dev.keyway.ollama.OllamaStreamException}, {@code dev.keyway.ollama.OllamaTransportException}).
   * The GenAI meters use the same value.
   */
  public @Nullable String errorType(OllamaObservationContext context) {
    CallResult result = context.result();
    if (result == null || OllamaCallEvent.OUTCOME_SUCCESS.equals(result.outcome())) {
      return null;
    }
    Throwable error = result.error();
    if (OllamaCallEvent.OUTCOME_CANCELLED.equals(result.outcome()) || error instanceof OllamaCancelledException) {
      return CANCELLED;
    }
    if (error instanceof OllamaHttpException http) {
      return String.valueOf(http.status());
    }
    if (error == null) {
      return result.status() > 0 ? String.valueOf(result.status()) : "_OTHER";
    }
    for (Throwable t = error; t != null; t = t.getCause()) {
      if (t instanceof InterruptedIOException) { // SocketTimeoutException and OkHttp's call timeout
        return TIMEOUT;
      }
    }
    return error.getClass().getName();
  }

  private static void addIfPresent(List<KeyValue> values, String key, @Nullable String value) {
    if (value != null) {
      values.add(KeyValue.of(key, value));
    }
  }

  private static String seconds(Duration d) {
    return String.valueOf(d.toNanos() / 1e9);
  }

  private static String orNone(@Nullable String value) {
    return value == null || value.isEmpty() ? KeyValue.NONE_VALUE : value;
  }
}
