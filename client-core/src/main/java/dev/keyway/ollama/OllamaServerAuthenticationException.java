package dev.keyway.ollama;

/**
 * 401 or 403 from one server of an {@link OllamaServers}: that server rejected its credential. The
 * router stops sending calls there until a poll with the credential succeeds again, and does not
 * retry the call in a loop. {@link #server()} is the server's configured name (never its key).
 */
public class OllamaServerAuthenticationException extends OllamaAuthenticationException {
  private static final long serialVersionUID = 1L;

  private final String server;

  public OllamaServerAuthenticationException(String server, OllamaAuthenticationException cause) {
    super(cause.status(), cause.serverMessage(), cause.retryAfter().orElse(null),
        "Server '" + server + "' rejected its credential; it is taken out of routing until a poll"
            + " of its /api/ps succeeds with it. " + cause.getMessage());
    this.server = server;
    initCause(cause);
  }

  /** The configured name of the server that rejected its credential. */
  public String server() {
    return server;
  }
}
