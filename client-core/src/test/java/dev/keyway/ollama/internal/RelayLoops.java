package dev.keyway.ollama.internal;

/** For tests outside this package that place relays on loops: how many loops there are. */
public final class RelayLoops {
  private RelayLoops() {}

  /** Relays go to this many loops in turn. */
  public static int count() {
    return RelayLoop.count();
  }
}
