package dev.keyway.ollama.internal;

import dev.keyway.ollama.Credential;
import dev.keyway.ollama.OllamaClient;
import java.util.function.Function;

/** Applies Ollama's environment variables to a builder. */
public final class EnvConfig {
  public static final String HOST = "OLLAMA_HOST";
  public static final String API_KEY = "OLLAMA_API_KEY";
  public static final String API_KEY_HEADER = "OLLAMA_API_KEY_HEADER";

  private EnvConfig() {}

  public static OllamaClient.Builder apply(OllamaClient.Builder builder, Function<String, String> env) {
    String host = env.apply(HOST);
    if (host != null && !host.isBlank()) {
      builder.ollamaHost(host);
    }
    String key = env.apply(API_KEY);
    if (key != null && !key.isEmpty()) {
      String header = env.apply(API_KEY_HEADER);
      if (header != null && !header.isBlank()) {
        builder.credential(Credential.header(header.trim(), key));
      } else {
        builder.credential(Credential.bearer(key));
      }
    }
    return builder;
  }
}
