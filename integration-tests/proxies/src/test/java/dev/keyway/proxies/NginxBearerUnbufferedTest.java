package dev.keyway.proxies;

import dev.keyway.ollama.Credential;
import java.nio.file.Path;

/** nginx with the Bearer {@code map} and {@code proxy_buffering off}: the setup for streaming. */
class NginxBearerUnbufferedTest extends ProxyContract {
  static final String TOKEN = "kw-secret-nginx-1";

  boolean buffering() {
    return false;
  }

  @Override
  ProxyProcess startProxy(Path dir, int upstreamPort) {
    return Nginx.start(dir, upstreamPort, TOKEN, buffering());
  }

  @Override
  String baseUrl() {
    return "http://127.0.0.1:" + proxy.port;
  }

  @Override
  Credential rightCredential() {
    return Credential.bearer(TOKEN);
  }

  @Override
  Credential wrongCredential() {
    return Credential.bearer("kw-secret-nginx-wrong");
  }

  @Override
  String credentialHeader() {
    return "Authorization";
  }

}
