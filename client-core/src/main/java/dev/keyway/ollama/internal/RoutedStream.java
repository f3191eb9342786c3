package dev.keyway.ollama.internal;

import dev.keyway.ollama.OllamaStream;
import java.util.Iterator;
import java.util.Spliterator;
import java.util.Spliterators;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Stream;
import java.util.stream.StreamSupport;

/**
 * A server's stream as the router hands it out: the same chunks and errors, plus the server's
 * in-flight count released once, when the stream ends, fails or is closed.
 */
final class RoutedStream<T> implements OllamaStream<T> {
  private final OllamaStream<T> delegate;
  private final Runnable release;
  private final AtomicBoolean released = new AtomicBoolean();

  RoutedStream(OllamaStream<T> delegate, Runnable release) {
    this.delegate = delegate;
    this.release = release;
  }

  private void release() {
    if (released.compareAndSet(false, true)) {
      release.run();
    }
  }

  @Override
  public Iterator<T> iterator() {
    Iterator<T> it = delegate.iterator();
    return new Iterator<>() {
      @Override
      public boolean hasNext() {
        try {
          boolean more = it.hasNext();
          if (!more) {
            release();
          }
          return more;
        } catch (RuntimeException | Error e) {
          release();
          throw e;
        }
      }

      @Override
      public T next() {
        return it.next();
      }
    };
  }

  @Override
  public T result() {
    try {
      return delegate.result();
    } finally {
      release();
    }
  }

  @Override
  public Stream<T> stream() {
    return StreamSupport.stream(
            Spliterators.spliteratorUnknownSize(iterator(), Spliterator.ORDERED), false)
        .onClose(this::close);
  }

  @Override
  public void close() {
    try {
      delegate.close();
    } finally {
      release();
    }
  }
}
