package dev.keyway.ollama.internal;

import dev.keyway.ollama.OllamaCallObserver;
import java.util.concurrent.Executor;
import org.jspecify.annotations.Nullable;

/** Combines observers registered on one builder. */
public final class Observers {
  private Observers() {}

  /**
   * Starts {@code first} then {@code second}; ends their scopes in reverse order. Captures content
   * when either asks for it (both then see it); propagates the context of both.
   */
  public static OllamaCallObserver both(OllamaCallObserver first, OllamaCallObserver second) {
    return new OllamaCallObserver() {
      @Override
      public boolean capturesContent() {
        return first.capturesContent() || second.capturesContent();
      }

      @Override
      public Executor propagating(Executor executor) {
        return second.propagating(first.propagating(executor));
      }

      @Override
      public @Nullable Scope start(CallInfo call, UpstreamHeaders headers) {
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
      }
    };
  }
}
