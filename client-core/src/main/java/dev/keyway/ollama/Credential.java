package dev.keyway.ollama;

import dev.keyway.ollama.internal.HeaderValues;
import java.util.Objects;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;

/**
 * A secret sent as one HTTP header on every request to the configured Ollama origin, and never
 * anywhere else.
 *
 * <pre>{@code
 * Credential.apiKey("…")                              // X-API-Key: …        (Caddy, nginx setups)
 * Credential.bearer("…")                              // Authorization: Bearer …  (Ollama Cloud, Open WebUI)
 * Credential.header("X-Custom-Auth", "…")             // any header
 * Credential.bearer(() -> vault.currentToken())       // read per request, for rotating secrets
 * }</pre>
 *
 * <p>Values are checked when the credential is made (and, for suppliers, on every request): a value
 * with CR, LF or any other control character is refused with an {@link IllegalArgumentException}
 * that does not repeat the value. {@link #toString()} shows the header name only.
 */
public final class Credential {
  /** Header used by {@link #apiKey(String)}: {@value}. */
  public static final String API_KEY_HEADER = "X-API-Key";

  private static final Credential NONE = new Credential(null, "", () -> "");

  private final @Nullable String headerName;
  private final String prefix;
  private final Supplier<String> secret;

  private Credential(@Nullable String headerName, String prefix, Supplier<String> secret) {
    this.headerName = headerName;
    this.prefix = prefix;
    this.secret = secret;
  }

  /** No credential: requests carry no authentication header. */
  public static Credential none() {
    return NONE;
  }

  /** Sends {@code X-API-Key: <key>}, as Caddy and nginx API-key setups expect. */
  public static Credential apiKey(String key) {
    return header(API_KEY_HEADER, key);
  }

  /** Sends {@code Authorization: Bearer <token>}, as Ollama Cloud and Open WebUI expect. */
  public static Credential bearer(String token) {
    String checked = HeaderValues.checkSecret("bearer token", token);
    return new Credential("Authorization", "Bearer ", () -> checked);
  }

  /**
   * Sends {@code Authorization: Bearer <token>} with the token read from {@code token} on every
   * request, so a rotated secret is picked up without rebuilding the client.
   */
  public static Credential bearer(Supplier<String> token) {
    Objects.requireNonNull(token, "token");
    return new Credential("Authorization", "Bearer ", token);
  }

  /** Sends {@code <name>: <value>}. */
  public static Credential header(String name, String value) {
    String checkedName = HeaderValues.checkName(name);
    String checked = HeaderValues.checkSecret("value of header " + checkedName, value);
    return new Credential(checkedName, "", () -> checked);
  }

  /** Sends {@code <name>: <value>} with the value read from {@code value} on every request. */
  public static Credential header(String name, Supplier<String> value) {
    Objects.requireNonNull(value, "value");
    return new Credential(HeaderValues.checkName(name), "", value);
  }

  /** Whether this credential sends anything. */
  public boolean isPresent() {
    return headerName != null;
  }

  /** The header this credential is sent in, for example {@code X-API-Key}; empty for {@link #none()}. */
  public String headerName() {
    return headerName == null ? "" : headerName;
  }

  // Package-private on purpose: only the client's transport reads the secret, and it re-checks
  // it on every call because a supplier may return anything.
  String headerValue() {
    String value = secret.get();
    return prefix + HeaderValues.checkSecret("value of header " + headerName, value);
  }

  @Override
  public String toString() {
    return isPresent() ? "Credential{header=" + headerName + ", value=[redacted]}" : "Credential{none}";
  }
}
