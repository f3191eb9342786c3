package dev.keyway.ollama.spring.observation;

import dev.keyway.ollama.OllamaCallObserver.CallInfo;
import dev.keyway.ollama.OllamaCallObserver.CallResult;
import dev.keyway.ollama.OllamaCallObserver.UpstreamHeaders;
import io.micrometer.observation.transport.RequestReplySenderContext;
import java.lang.System.Logger.Level;
import org.jspecify.annotations.Nullable;

/**
 * The context of one observed Ollama call: what the call was ({@link #call()}), and once it has
 * ended, how ({@link #getResponse()}). A sender context, so a tracing bridge injects its trace
 * context ({@code traceparent}) into the call's {@linkplain UpstreamHeaders upstream headers}, which
 * the client sends to its own origin only.
 *
 * <p>Carries no prompt or completion text unless {@code ollama.observation.capture-message-content}
 * is on (then {@link #inputMessages()}, {@link #outputMessages()} and
 * {@link #systemInstructions()}, and the call's request and answer), and never the credential.
 */
public class OllamaObservationContext extends RequestReplySenderContext<UpstreamHeaders, CallResult> {
  private static final System.Logger LOG = System.getLogger("dev.keyway.ollama");

  private final CallInfo call;
  private final @Nullable String serverName;
  private @Nullable String inputMessages;
  private @Nullable String outputMessages;
  private @Nullable String systemInstructions;

  public OllamaObservationContext(CallInfo call, UpstreamHeaders headers) {
    this(call, headers, null);
  }

  /**
   * A call to the server configured as {@code serverName} ({@code ollama.servers[i].name}) of a
   * client over several servers; {@code null} for a single-server client.
   */
  public OllamaObservationContext(CallInfo call, UpstreamHeaders headers, @Nullable String serverName) {
    super(OllamaObservationContext::set);
    this.call = call;
    this.serverName = serverName;
    setCarrier(headers);
    setRemoteServiceName("ollama");
    // A URI reference (tracing handlers parse host and port from it): //host:port, IPv6 bracketed.
    String host = call.serverAddress().indexOf(':') >= 0 ? "[" + call.serverAddress() + "]" : call.serverAddress();
    setRemoteServiceAddress("//" + host + ":" + call.serverPort());
  }

  private static void set(@Nullable UpstreamHeaders carrier, String name, String value) {
    if (carrier == null) {
      return;
    }
    try {
      carrier.set(name, value);
    } catch (IllegalArgumentException e) {
      // A propagator's value we cannot send safely: dropped, the call goes on.
      LOG.log(Level.DEBUG, "Not propagating header {0}: {1}", name, e.getMessage());
    }
  }

  /** The call, as the client described it when it started. */
  public CallInfo call() {
    return call;
  }

  /**
   * The configured name of the server the call went to, on a client over several servers
   * ({@code ollama.servers[i].name}, never a secret); {@code null} on a single-server client.
   */
  public @Nullable String serverName() {
    return serverName;
  }

  /** The GenAI operation name for the call: {@code chat}, {@code text_completion}, … */
  public String operationName() {
    return operationName(call.endpoint());
  }

  /**
   * {@code chat} for {@code api/chat}, {@code text_completion} for {@code api/generate},
   * {@code embeddings} for {@code api/embed} and {@code api/embeddings}; for any other endpoint its
   * path without {@code api/} ({@code tags}, {@code show}, {@code pull}, …).
   */
  public static String operationName(String endpoint) {
    return switch (endpoint) {
      case "api/chat" -> "chat";
      case "api/generate" -> "text_completion";
      case "api/embed", "api/embeddings" -> "embeddings";
      default -> endpoint.startsWith("api/") ? endpoint.substring(4) : endpoint;
    };
  }

  /**
   * The request's messages as {@code gen_ai.input.messages} JSON, when content is captured;
   * otherwise {@code null}.
   */
  public @Nullable String inputMessages() {
    return inputMessages;
  }

  public void setInputMessages(@Nullable String inputMessages) {
    this.inputMessages = inputMessages;
  }

  /**
   * The answer as {@code gen_ai.output.messages} JSON, when content is captured and the call
   * succeeded; otherwise {@code null}.
   */
  public @Nullable String outputMessages() {
    return outputMessages;
  }

  public void setOutputMessages(@Nullable String outputMessages) {
    this.outputMessages = outputMessages;
  }

  /**
   * A generate request's {@code system} prompt as {@code gen_ai.system_instructions} JSON, when
   * content is captured; otherwise {@code null}.
   */
  public @Nullable String systemInstructions() {
    return systemInstructions;
  }

  public void setSystemInstructions(@Nullable String systemInstructions) {
    this.systemInstructions = systemInstructions;
  }

  /** How the call ended, once it has; {@code null} before. */
  public @Nullable CallResult result() {
    return getResponse();
  }
}
