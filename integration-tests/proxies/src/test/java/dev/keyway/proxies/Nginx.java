package dev.keyway.proxies;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * nginx with the configuration people copy to put a Bearer token in front of Ollama: a {@code
 * map} of allowed {@code Authorization} values and {@code return 401} for anything else, either
 * with nginx's default response buffering or with {@code proxy_buffering off}. The full
 * configuration is in docs/proxies.md.
 */
final class Nginx {
  static final String BINARY = "/usr/sbin/nginx";

  static final String ACCESS_LOG_FILE = "calls.log";

  /**
   * One line per request: method, path, status, and whether an {@code X-API-Key} header came in
   * ({@code x-api-key:none} or {@code x-api-key:present}). Never a header's value: the
   * Authorization header is checked, not logged.
   */
  private static final String ACCESS_LOG = ""
      + "  map $http_x_api_key $x_api_key_sent {\n"
      + "    \"\" none;\n"
      + "    default present;\n"
      + "  }\n"
      + "  log_format calls '$request_method $uri $status x-api-key:$x_api_key_sent';\n"
      + "  access_log PATH calls;\n";

  private Nginx() {}

  /**
   * What the access log of an nginx started with {@code accessLog} holds so far, one entry per
   * request (nginx writes each line when the request is done).
   */
  static List<String> calls(Path dir) {
    Path log = dir.resolve(ACCESS_LOG_FILE);
    try {
      return Files.exists(log) ? Files.readAllLines(log, StandardCharsets.UTF_8) : List.of();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static ProxyProcess start(Path dir, int upstreamPort, String token, boolean buffering) {
    return start(dir, ProxyProcess.freePort(), upstreamPort, token, buffering, false);
  }

  /**
   * The same on a given port (a test restarts a stopped nginx where its clients expect it),
   * optionally with an access log of every request it received, forwarded or refused: see {@link
   * #calls(Path)}.
   */
  static ProxyProcess start(Path dir, int port, int upstreamPort, String token, boolean buffering,
      boolean accessLog) {
    Path conf = dir.resolve("nginx.conf");
    Caddy.write(conf, conf(dir, port, upstreamPort, token, buffering, accessLog));
    return ProxyProcess.start("nginx",
        List.of(BINARY, "-p", dir.toString(), "-c", conf.toString(), "-e", dir.resolve("error.log").toString(),
            "-g", "daemon off; pid " + dir.resolve("nginx.pid") + ";"),
        dir, Map.of(), port);
  }

  static String conf(Path dir, int port, int upstreamPort, String token, boolean buffering) {
    return conf(dir, port, upstreamPort, token, buffering, false);
  }

  static String conf(Path dir, int port, int upstreamPort, String token, boolean buffering,
      boolean accessLog) {
    return "worker_processes 1;\n"
        + "error_log " + dir.resolve("error.log") + " warn;\n"
        + "events { worker_connections 512; }\n"
        + "http {\n"
        + (accessLog ? ACCESS_LOG.replace("PATH", dir.resolve(ACCESS_LOG_FILE).toString()) : "  access_log off;\n")
        + "  client_body_temp_path " + dir.resolve("client_body") + ";\n"
        + "  proxy_temp_path " + dir.resolve("proxy_temp") + ";\n"
        + "  fastcgi_temp_path " + dir.resolve("fastcgi_temp") + ";\n"
        + "  uwsgi_temp_path " + dir.resolve("uwsgi_temp") + ";\n"
        + "  scgi_temp_path " + dir.resolve("scgi_temp") + ";\n"
        + "\n"
        + "  map $http_authorization $valid_key {\n"
        + "    default 0;\n"
        + "    \"Bearer " + token + "\" 1;\n"
        + "  }\n"
        + "\n"
        + "  server {\n"
        + "    listen 127.0.0.1:" + port + ";\n"
        + "    location / {\n"
        + "      if ($valid_key = 0) {\n"
        + "        return 401;\n"
        + "      }\n"
        + "      proxy_pass http://127.0.0.1:" + upstreamPort + ";\n"
        + "      proxy_http_version 1.1;\n"
        + "      proxy_set_header Connection \"\";\n"
        + "      proxy_set_header Host $host;\n"
        + "      proxy_read_timeout 600s;\n"
        + (buffering ? "" : "      proxy_buffering off;\n")
        + "    }\n"
        + "  }\n"
        + "}\n";
  }
}
