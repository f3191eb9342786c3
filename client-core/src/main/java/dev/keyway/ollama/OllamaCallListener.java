package dev.keyway.ollama;

/**
 * Observes every call a client makes, for metrics and tracing. Register with
 * {@link OllamaClient.Builder#listener(OllamaCallListener)}.
 *
 * <p>Called once per call, when it ends (for a stream: at its done chunk, failure or close), on the
 * thread that ended it. Must be fast and must not throw; an exception it throws is logged and
 * ignored. Events carry no prompt text, no options and no credential.
 */
@FunctionalInterface
public interface OllamaCallListener {

  /** The call has ended. */
  void onCallEnd(OllamaCallEvent event);
}
