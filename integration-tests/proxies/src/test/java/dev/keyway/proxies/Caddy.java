package dev.keyway.proxies;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * Caddy with the configuration people copy to put an API key in front of Ollama: {@code /health}
 * open, {@code X-API-Key} checked by a header matcher, everything else {@code 401 Unauthorized}.
 * The variants add the CORS preflight answer, or serve HTTPS with Caddy's own CA ({@code tls
 * internal}). The full Caddyfiles are in docs/proxies.md.
 */
final class Caddy {
  static final String BINARY = "/usr/bin/caddy";

  enum Variant {
    /** The common setup over plain HTTP. */
    API_KEY,
    /** The same, answering CORS preflights without the key (browsers send none on OPTIONS). */
    CORS_PREFLIGHT,
    /** The common setup over HTTPS with {@code tls internal}. */
    TLS_INTERNAL
  }

  /** The origin the CORS variant allows. */
  static final String ALLOWED_ORIGIN = "http://localhost:5173";

  private Caddy() {}

  static ProxyProcess start(Variant variant, Path dir, int upstreamPort, String key) {
    return start(variant, dir, ProxyProcess.freePort(), upstreamPort, key);
  }

  /** The same on a given port: a test restarts a stopped Caddy where its clients expect it. */
  static ProxyProcess start(Variant variant, Path dir, int port, int upstreamPort, String key) {
    Path caddyfile = dir.resolve("Caddyfile");
    write(caddyfile, caddyfile(variant, dir, port, upstreamPort, key));
    ProxyProcess caddy = ProxyProcess.start("caddy",
        List.of(BINARY, "run", "--config", caddyfile.toString(), "--adapter", "caddyfile"),
        dir,
        Map.of("HOME", dir.toString(), "XDG_DATA_HOME", dir.resolve("data").toString(),
            "XDG_CONFIG_HOME", dir.resolve("config").toString()),
        port);
    if (variant == Variant.TLS_INTERNAL) {
      awaitFile(rootCertificate(dir), caddy);
    }
    return caddy;
  }

  /** Caddy's local CA certificate, which clients must trust for {@code tls internal}. */
  static Path rootCertificate(Path dir) {
    return dir.resolve("storage/pki/authorities/local/root.crt");
  }

  static String caddyfile(Variant variant, Path dir, int port, int upstreamPort, String key) {
    String scheme = variant == Variant.TLS_INTERNAL ? "https" : "http";
    StringBuilder site = new StringBuilder();
    site.append("{\n")
        .append("\tadmin off\n")
        .append("\tskip_install_trust\n")
        .append("\tauto_https disable_redirects\n")
        .append("\tstorage file_system {\n\t\troot ").append(dir.resolve("storage")).append("\n\t}\n")
        .append("}\n\n")
        .append(scheme).append("://127.0.0.1:").append(port).append(" {\n")
        .append("\tbind 127.0.0.1\n");
    if (variant == Variant.TLS_INTERNAL) {
      site.append("\ttls internal\n");
    }
    site.append("\n\thandle /health {\n\t\trespond 200\n\t}\n");
    if (variant == Variant.CORS_PREFLIGHT) {
      site.append("\n\t@preflight method OPTIONS\n")
          .append("\thandle @preflight {\n")
          .append("\t\theader Access-Control-Allow-Origin \"").append(ALLOWED_ORIGIN).append("\"\n")
          .append("\t\theader Access-Control-Allow-Methods \"GET, POST, OPTIONS\"\n")
          .append("\t\theader Access-Control-Allow-Headers \"Content-Type, X-API-Key\"\n")
          .append("\t\theader Access-Control-Max-Age \"86400\"\n")
          .append("\t\trespond 204\n")
          .append("\t}\n");
    }
    site.append("\n\t@authorized header X-API-Key \"").append(key).append("\"\n")
        .append("\thandle @authorized {\n");
    if (variant == Variant.CORS_PREFLIGHT) {
      site.append("\t\theader Access-Control-Allow-Origin \"").append(ALLOWED_ORIGIN).append("\"\n");
    }
    // buffer_requests: without it, Caddy 2.6 ended about 1 in 110 streamed answers early when
    // Ollama answered at once (docs/proxies.md, "Caddy 2.6 ends some streams early").
    site.append("\t\treverse_proxy 127.0.0.1:").append(upstreamPort).append(" {\n")
        .append("\t\t\tbuffer_requests\n")
        .append("\t\t}\n")
        .append("\t}\n\n")
        .append("\thandle {\n\t\trespond \"Unauthorized\" 401\n\t}\n")
        .append("}\n");
    return site.toString();
  }

  static void write(Path file, String text) {
    try {
      Files.writeString(file, text);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static void awaitFile(Path file, ProxyProcess process) {
    long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
    while (!Files.exists(file)) {
      if (System.nanoTime() > deadline) {
        process.close();
        throw new IllegalStateException("Caddy wrote no root certificate at " + file + ":\n" + process.output());
      }
      ProxyProcess.sleep(Duration.ofMillis(50));
    }
  }
}
