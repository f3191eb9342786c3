package dev.keyway.ollama;

import java.util.Objects;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * A request passed to Ollama as it is, for code that relays Ollama's own protocol (Keyway's
 * gateway, a proxy of your own): the JSON body is sent unchanged, with the client's credential,
 * timeouts, retries and error mapping. Send it with {@link OllamaClient#passThrough}.
 *
 * <pre>{@code
 * try (PassThroughResponse answer = client.passThrough(
 *     PassThroughRequest.post("api/chat", checkedJson).streaming(true))) {
 *   answer.body().transferTo(out);
 * }
 * }</pre>
 *
 * <p>The path is relative to the client's base URL and names an Ollama route ({@code api/chat},
 * {@code api/tags}); it cannot leave the base URL, so the credential still goes only to its own
 * server. Immutable; the body array is not copied, so do not change it after passing it in.
 */
public final class PassThroughRequest {
  private static final Pattern PATH =
      Pattern.compile("api(/[A-Za-z0-9_:-][A-Za-z0-9_.:-]*)+");

  private final String method;
  private final String path;
  private final byte @Nullable [] json;
  private final boolean streaming;
  private final RequestOptions options;
  private final @Nullable String model;

  private PassThroughRequest(String method, String path, byte @Nullable [] json, boolean streaming,
      RequestOptions options, @Nullable String model) {
    this.method = method;
    this.path = path;
    this.json = json;
    this.streaming = streaming;
    this.options = options;
    this.model = model;
  }

  /** A {@code GET} of an Ollama route, for example {@code api/tags}. */
  public static PassThroughRequest get(String path) {
    return new PassThroughRequest("GET", checkPath(path), null, false, RequestOptions.none(), null);
  }

  /** A {@code POST} of a JSON body to an Ollama route, for example {@code api/chat}. */
  public static PassThroughRequest post(String path, byte[] json) {
    Objects.requireNonNull(json, "json");
    return new PassThroughRequest("POST", checkPath(path), json, false, RequestOptions.none(), null);
  }

  /**
   * This request asking for an NDJSON stream ({@code Accept: application/x-ndjson}) instead of one
   * JSON answer. Whether Ollama streams is decided by the body's {@code "stream"} field; this only
   * says what the caller expects.
   */
  public PassThroughRequest streaming(boolean streaming) {
    return new PassThroughRequest(method, path, json, streaming, options, model);
  }

  /** This request with per-call timeouts or attempts. */
  public PassThroughRequest options(RequestOptions options) {
    return new PassThroughRequest(method, path, json, streaming, Objects.requireNonNull(options, "options"),
        model);
  }

  /**
   * This request with the model its body names, as the relay read it. The body is still sent as
   * it is; the model only informs the client: {@link OllamaServers} routes the call to a server
   * where that model is loaded (or installed), as it does a typed call, and instrumentation names
   * the call after it. Not checked against the body: pass what the body says.
   *
   * @throws IllegalArgumentException if the name is blank
   */
  public PassThroughRequest model(String model) {
    Objects.requireNonNull(model, "model");
    if (model.isBlank()) {
      throw new IllegalArgumentException("model is blank");
    }
    return new PassThroughRequest(method, path, json, streaming, options, model);
  }

  /** The model set with {@link #model(String)}, or {@code null}. */
  public @Nullable String model() {
    return model;
  }

  public String method() {
    return method;
  }

  /** The route relative to the base URL, for example {@code api/chat}. */
  public String path() {
    return path;
  }

  /** The JSON body, or {@code null} for a {@code GET}. */
  public byte @Nullable [] json() {
    return json;
  }

  public boolean streaming() {
    return streaming;
  }

  public RequestOptions options() {
    return options;
  }

  private static String checkPath(String path) {
    Objects.requireNonNull(path, "path");
    if (!PATH.matcher(path).matches() || path.contains("/./") || path.contains("/../")
        || path.endsWith("/.") || path.endsWith("/..")) {
      throw new IllegalArgumentException("path must be an Ollama route relative to the base URL,"
          + " such as api/chat (letters, digits, _ - . : between slashes, no . or .. segments)");
    }
    return path;
  }

  @Override
  public String toString() {
    return "PassThroughRequest{" + method + " " + path + (model == null ? "" : ", model " + model)
        + (streaming ? ", streaming" : "")
        + (json == null ? "" : ", " + json.length + " bytes") + "}";
  }
}
