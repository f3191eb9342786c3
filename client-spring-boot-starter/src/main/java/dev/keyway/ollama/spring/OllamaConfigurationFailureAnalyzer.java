package dev.keyway.ollama.spring;

import org.jspecify.annotations.Nullable;
import org.springframework.boot.diagnostics.AbstractFailureAnalyzer;
import org.springframework.boot.diagnostics.FailureAnalysis;

/**
 * Explains a client that could not be built from {@code ollama.*}: a malformed URL, a key with a
 * line break or control character. Keyway's own messages never contain the key, so they are safe
 * to show.
 */
class OllamaConfigurationFailureAnalyzer extends AbstractFailureAnalyzer<IllegalArgumentException> {

  @Override
  protected @Nullable FailureAnalysis analyze(Throwable rootFailure, IllegalArgumentException cause) {
    if (cause instanceof InvalidServersException) {
      return new FailureAnalysis(
          "The Ollama servers could not be configured: " + cause.getMessage(),
          "Fix the ollama.servers[i].* properties: every server needs a unique name and a base-url"
              + " (https://…); its api-key goes with it, its api-key-header is optional (unset means"
              + " Bearer). Use either ollama.base-url (one server) or ollama.servers, not both.",
          cause);
    }
    if (!isFromKeyway(cause)) {
      return null;
    }
    return new FailureAnalysis(
        "The Ollama client could not be configured: " + cause.getMessage(),
        "Check the ollama.* properties (or OLLAMA_HOST, OLLAMA_API_KEY, OLLAMA_API_KEY_HEADER):"
            + " ollama.base-url must be an http(s) URL such as https://ollama.example.com, and"
            + " ollama.api-key must be printable ASCII without line breaks (a trailing newline"
            + " from a secret file is a common cause).",
        cause);
  }

  private static boolean isFromKeyway(Throwable e) {
    for (StackTraceElement frame : e.getStackTrace()) {
      if (frame.getClassName().startsWith("dev.keyway.ollama.")) {
        return true;
      }
    }
    return false;
  }
}
