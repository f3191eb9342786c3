package dev.keyway.proxies;

/**
 * The same nginx setup with nginx's default response buffering ({@code proxy_buffering on}). With
 * a caller that keeps reading, nginx passes each chunk on as it arrives (buffering only decides how
 * much nginx absorbs when the caller reads slower than Ollama writes), so the same timing contract
 * holds; docs/proxies.md has the figures.
 */
class NginxBearerBufferedTest extends NginxBearerUnbufferedTest {

  @Override
  boolean buffering() {
    return true;
  }
}
