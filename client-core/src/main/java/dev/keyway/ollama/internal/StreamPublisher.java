package dev.keyway.ollama.internal;

import dev.keyway.ollama.OllamaException;
import dev.keyway.ollama.OllamaStream;
import java.util.Iterator;
import java.util.Objects;
import java.util.concurrent.Executor;
import java.util.concurrent.Flow;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;

/**
 * A cold {@link Flow.Publisher} over blocking {@link OllamaStream}s: each subscription opens its
 * own stream on the executor at the first request and reads a chunk only when there is demand.
 * One thread per subscription emits, so signals are serial (Reactive Streams rule 1.3).
 */
final class StreamPublisher<T> implements Flow.Publisher<T> {
  private final Supplier<OllamaStream<T>> open;
  private final Executor executor;

  StreamPublisher(Supplier<OllamaStream<T>> open, Executor executor) {
    this.open = open;
    this.executor = executor;
  }

  @Override
  public void subscribe(Flow.Subscriber<? super T> subscriber) {
    Objects.requireNonNull(subscriber, "subscriber"); // rule 1.9
    Subscription<T> subscription = new Subscription<>(open, executor, subscriber);
    subscriber.onSubscribe(subscription);
  }

  private static final class Subscription<T> implements Flow.Subscription, Runnable {
    private final Supplier<OllamaStream<T>> open;
    private final Executor executor;
    private final Flow.Subscriber<? super T> subscriber;
    private final AtomicBoolean started = new AtomicBoolean();
    private final Object lock = new Object();
    private long demand; // guarded by lock; Long.MAX_VALUE means unbounded
    private boolean cancelled; // guarded by lock
    private @Nullable Throwable badRequest; // guarded by lock
    private @Nullable OllamaStream<T> stream; // guarded by lock

    Subscription(Supplier<OllamaStream<T>> open, Executor executor, Flow.Subscriber<? super T> subscriber) {
      this.open = open;
      this.executor = executor;
      this.subscriber = subscriber;
    }

    @Override
    public void request(long n) {
      synchronized (lock) {
        if (cancelled) {
          return;
        }
        if (n <= 0) { // rule 3.9: signal onError from the emitting thread
          badRequest = new IllegalArgumentException("Subscription.request(" + n + "): n must be positive (§3.9)");
        } else {
          demand = demand + n < 0 ? Long.MAX_VALUE : demand + n;
        }
        lock.notifyAll();
      }
      if (started.compareAndSet(false, true)) {
        try {
          executor.execute(this);
        } catch (RuntimeException e) {
          cancel();
          subscriber.onError(e);
        }
      }
    }

    @Override
    public void cancel() {
      OllamaStream<T> toClose;
      synchronized (lock) {
        if (cancelled) {
          return;
        }
        cancelled = true;
        toClose = stream;
        lock.notifyAll();
      }
      if (toClose != null) {
        toClose.close(); // cancels the HTTP call, also when the emitting thread is blocked reading
      }
    }

    @Override
    public void run() {
      OllamaStream<T> s;
      try {
        s = open.get();
      } catch (RuntimeException e) {
        if (!isCancelled()) {
          subscriber.onError(e);
        }
        return;
      }
      synchronized (lock) {
        stream = s;
        if (cancelled) {
          s.close();
          return;
        }
      }
      try (s) {
        Iterator<T> chunks = s.iterator();
        while (awaitDemand()) {
          if (!chunks.hasNext()) {
            if (!isCancelled()) {
              subscriber.onComplete();
            }
            return;
          }
          T chunk = chunks.next();
          synchronized (lock) {
            if (cancelled) {
              return;
            }
            if (demand != Long.MAX_VALUE) {
              demand--;
            }
          }
          subscriber.onNext(chunk);
        }
      } catch (OllamaException e) {
        if (!isCancelled()) {
          subscriber.onError(e);
        }
      } catch (RuntimeException e) { // thrown by the subscriber's onNext: rule 2.13 breach
        cancelQuietly();
        subscriber.onError(e);
      }
    }

    /** Waits until there is demand; false when cancelled or after a bad request was signalled. */
    private boolean awaitDemand() {
      Throwable bad;
      synchronized (lock) {
        while (demand == 0 && !cancelled && badRequest == null) {
          try {
            lock.wait();
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            cancelled = true;
          }
        }
        if (cancelled) {
          return false;
        }
        bad = badRequest;
        if (bad != null) {
          cancelled = true;
        }
      }
      if (bad != null) {
        subscriber.onError(bad);
        return false;
      }
      return true;
    }

    private boolean isCancelled() {
      synchronized (lock) {
        return cancelled;
      }
    }

    private void cancelQuietly() {
      synchronized (lock) {
        cancelled = true;
      }
    }
  }
}
