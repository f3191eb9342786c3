package dev.keyway.ollama.internal;

import dev.keyway.ollama.OllamaCallObserver;
import org.jspecify.annotations.Nullable;

/** Combines observers registered on one builder. */
public final class Observers {
  private Observers() {}

  /** Starts {@code first} then {@code second}; ends their scopes in reverse order. */
  public static OllamaCallObserver both(OllamaCallObserver first, OllamaCallObserver second) {
    return (call, headers) -> {
      OllamaCallObserver.@Nullable Scope a = first.start(call, headers);
      OllamaCallObserver.@Nullable Scope b = second.start(call, headers);
      if (a == null || b == null) {
        return a == null ? b : a;
      }
      return new OllamaCallObserver.Scope() {
        @Override
        public void onFirstChunk() {
          a.onFirstChunk();
          b.onFirstChunk();
        }

        @Override
        public void onEnd(OllamaCallObserver.CallResult result) {
          try {
            b.onEnd(result);
          } finally {
            a.onEnd(result);
          }
        }
      };
    };
  }
}
