package dev.keyway.ollama.internal;

import okhttp3.Call;
import org.jspecify.annotations.Nullable;

/** Lets another thread cancel whichever attempt of a retried call is running now. */
final class Cancellation {
  private @Nullable Call current;
  private boolean cancelled;

  synchronized boolean isCancelled() {
    return cancelled;
  }

  /** Registers the attempt about to run; cancels it at once if cancellation already happened. */
  synchronized void attach(Call call) {
    current = call;
    if (cancelled) {
      call.cancel();
    }
  }

  synchronized void cancel() {
    cancelled = true;
    if (current != null) {
      current.cancel();
    }
  }
}
