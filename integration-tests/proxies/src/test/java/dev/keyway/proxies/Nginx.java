package dev.keyway.proxies;

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

  private Nginx() {}

  static ProxyProcess start(Path dir, int upstreamPort, String token, boolean buffering) {
    int port = ProxyProcess.freePort();
    Path conf = dir.resolve("nginx.conf");
    Caddy.write(conf, conf(dir, port, upstreamPort, token, buffering));
    return ProxyProcess.start("nginx",
        List.of(BINARY, "-p", dir.toString(), "-c", conf.toString(), "-e", dir.resolve("error.log").toString(),
            "-g", "daemon off; pid " + dir.resolve("nginx.pid") + ";"),
        dir, Map.of(), port);
  }

  static String conf(Path dir, int port, int upstreamPort, String token, boolean buffering) {
    return "worker_processes 1;\n"
        + "error_log " + dir.resolve("error.log") + " warn;\n"
        + "events { worker_connections 512; }\n"
        + "http {\n"
        + "  access_log off;\n"
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
