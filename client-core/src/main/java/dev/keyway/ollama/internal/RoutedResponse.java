package dev.keyway.ollama.internal;

import dev.keyway.ollama.PassThroughResponse;
import java.io.InputStream;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A server's relayed answer as the router hands it out: the same bytes, plus the server's
 * in-flight count released once, when the answer is closed (a relayed stream counts until then).
 */
final class RoutedResponse implements PassThroughResponse {
  private final PassThroughResponse delegate;
  private final Runnable release;
  private final AtomicBoolean released = new AtomicBoolean();

  RoutedResponse(PassThroughResponse delegate, Runnable release) {
    this.delegate = delegate;
    this.release = release;
  }

  @Override
  public int status() {
    return delegate.status();
  }

  @Override
  public String contentType() {
    return delegate.contentType();
  }

  @Override
  public InputStream body() {
    return delegate.body();
  }

  @Override
  public void cancel() {
    delegate.cancel();
  }

  @Override
  public boolean relayTo(BodySink sink) {
    return delegate.relayTo(sink);
  }

  @Override
  public void resume() {
    delegate.resume();
  }

  @Override
  public void close() {
    try {
      delegate.close();
    } finally {
      if (released.compareAndSet(false, true)) {
        release.run();
      }
    }
  }
}
