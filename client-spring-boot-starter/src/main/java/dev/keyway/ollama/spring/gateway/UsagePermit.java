package dev.keyway.ollama.spring.gateway;

/**
 * One admitted call ({@link OllamaUsageLimits#acquire}). Close it exactly when the call ends;
 * closing again does nothing.
 */
public interface UsagePermit extends AutoCloseable {

  /**
   * Adds {@code tokens} model tokens (prompt plus output, for example {@code prompt_eval_count +
   * eval_count}) to what this call is charged when it is closed. Negative counts are ignored.
   */
  void charge(long tokens);

  /**
   * Settles the charge against the tokens held at admission (taking more, or giving the rest
   * back) and releases the in-flight permits. Never throws: a store that cannot answer loses the
   * settlement, and a shared permit then expires with its TTL.
   */
  @Override
  void close();
}
