package dev.keyway.ollama.spring.gateway;

import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * The gateway's defence against cross-site requests, run before anything else looks at a request.
 *
 * <p>A page on another site can make its visitor's browser send requests to the gateway, and the
 * browser attaches what it holds for the gateway's site: cached HTTP Basic credentials, cookies.
 * Two checks stop that without a CSRF token (which unmodified Ollama clients could not send):
 *
 * <ul>
 *   <li><b>Origin.</b> A request whose {@code Origin} header is neither listed in {@code
 *       ollama.gateway.allowed-origins} nor the request's own origin is refused (403), whatever its
 *       method. Browsers send {@code Origin} on every cross-origin request and on every POST; a
 *       request without one is not a browser's cross-site request, or is a same-origin GET.
 *   <li><b>Content type.</b> A POST must declare {@code application/json} (optionally with {@code
 *       charset=utf-8}), else 415. A cross-site HTML form can only send {@code text/plain}, {@code
 *       application/x-www-form-urlencoded} and {@code multipart/form-data}; {@code application/json}
 *       from another origin needs a CORS preflight, which only a listed origin passes.
 * </ul>
 *
 * <p>Listed origins get CORS answers with credentials allowed and the {@code Authorization} and
 * {@code Content-Type} request headers. When Spring Security runs in front, its {@code CorsFilter}
 * (fed by {@link GatewayCorsConfiguration}) answers preflights before authentication and sets the
 * same headers; they are not set twice.
 */
final class CrossSiteGuard {
  static final String ALLOWED_METHODS = "GET, HEAD, POST, OPTIONS";
  static final String ALLOWED_HEADERS = "Authorization, Content-Type";
  static final long MAX_AGE_SECONDS = 600;

  private final Set<String> allowedOrigins;

  /**
   * @param allowedOrigins origins as configured ({@code scheme://host[:port]})
   * @throws IllegalArgumentException naming the property if one of them is not such an origin
   */
  CrossSiteGuard(List<String> allowedOrigins) {
    Set<String> normalized = new LinkedHashSet<>();
    for (String origin : allowedOrigins) {
      String trimmed = origin.strip();
      // "https://app.example/" as copied from an address bar means the origin.
      String parsed = normalize(trimmed.endsWith("/") ? trimmed.substring(0, trimmed.length() - 1) : trimmed);
      if (parsed == null) {
        throw new IllegalArgumentException("ollama.gateway.allowed-origins: '" + origin + "' is not an origin;"
            + " list each as scheme://host[:port] (no wildcard, no path)");
      }
      normalized.add(parsed);
    }
    this.allowedOrigins = Collections.unmodifiableSet(normalized);
  }

  /** The configured origins, normalized (lower-case scheme and host, no default port). */
  Set<String> allowedOrigins() {
    return allowedOrigins;
  }

  /**
   * Returns whether the request may go on; when not, the answer (403, 415, or a preflight's 204 or
   * 405) has been written.
   */
  boolean admit(HttpServletRequest request, HttpServletResponse response) throws IOException {
    String method = request.getMethod();
    List<String> origins = Collections.list(request.getHeaders("Origin"));
    if (!origins.isEmpty()) {
      String origin = origins.size() == 1 ? normalize(origins.get(0)) : null;
      boolean listed = origin != null && allowedOrigins.contains(origin);
      if (!listed && (origin == null || !origin.equals(ownOrigin(request)))) {
        refuse(response, 403, "this origin may not call the gateway (ollama.gateway.allowed-origins)");
        return false;
      }
      if (listed && !response.containsHeader("Access-Control-Allow-Origin")) {
        response.setHeader("Access-Control-Allow-Origin", origins.get(0));
        response.setHeader("Access-Control-Allow-Credentials", "true");
        response.addHeader("Vary", "Origin");
      }
      if (listed && method.equals("OPTIONS") && request.getHeader("Access-Control-Request-Method") != null) {
        response.setHeader("Access-Control-Allow-Methods", ALLOWED_METHODS);
        response.setHeader("Access-Control-Allow-Headers", ALLOWED_HEADERS);
        response.setHeader("Access-Control-Max-Age", Long.toString(MAX_AGE_SECONDS));
        response.setStatus(204);
        return false;
      }
    }
    if (method.equals("OPTIONS")) {
      text(response, 405, "405 method not allowed");
      return false;
    }
    if (method.equals("POST") && !isJson(request.getContentType())) {
      refuse(response, 415, "the request body must be sent as Content-Type: application/json");
      return false;
    }
    return true;
  }

  /** {@code application/json}, with no parameter but an optional {@code charset=utf-8}. */
  static boolean isJson(@Nullable String contentType) {
    if (contentType == null) {
      return false;
    }
    String[] parts = contentType.split(";", -1);
    if (!parts[0].strip().equalsIgnoreCase("application/json")) {
      return false;
    }
    for (int i = 1; i < parts.length; i++) {
      String parameter = parts[i].strip();
      int equals = parameter.indexOf('=');
      if (equals < 0 || !parameter.substring(0, equals).strip().equalsIgnoreCase("charset")) {
        return false;
      }
      String value = parameter.substring(equals + 1).strip();
      if (value.length() >= 2 && value.startsWith("\"") && value.endsWith("\"")) {
        value = value.substring(1, value.length() - 1);
      }
      if (!value.equalsIgnoreCase("utf-8")) {
        return false;
      }
    }
    return true;
  }

  /**
   * {@code scheme://host[:port]} in lower case without the scheme's default port, or null when
   * the text is not an http(s) origin (a path, user info, {@code null}, {@code *}, garbage).
   */
  static @Nullable String normalize(String origin) {
    URI uri;
    try {
      uri = new URI(origin);
    } catch (URISyntaxException e) {
      return null;
    }
    String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
    if (!(scheme.equals("http") || scheme.equals("https")) || uri.getHost() == null
        || uri.getRawUserInfo() != null || uri.getRawQuery() != null || uri.getRawFragment() != null
        || !(uri.getRawPath() == null || uri.getRawPath().isEmpty())) {
      return null;
    }
    return origin(scheme, uri.getHost(), uri.getPort());
  }

  /** The origin the request was addressed to, as the server sees it (Host header, scheme). */
  static String ownOrigin(HttpServletRequest request) {
    String scheme = request.getScheme().toLowerCase(Locale.ROOT);
    String host = request.getServerName();
    if (host.indexOf(':') >= 0 && !host.startsWith("[")) {
      host = "[" + host + "]"; // an IPv6 literal, as an Origin header spells it
    }
    return origin(scheme, host, request.getServerPort());
  }

  private static String origin(String scheme, String host, int port) {
    boolean defaultPort = port == -1 || (scheme.equals("http") && port == 80) || (scheme.equals("https") && port == 443);
    return scheme + "://" + host.toLowerCase(Locale.ROOT) + (defaultPort ? "" : ":" + port);
  }

  private static void refuse(HttpServletResponse response, int status, String message) throws IOException {
    response.setStatus(status);
    response.setContentType("application/json; charset=utf-8");
    // The message is a constant of this class: no escaping needed.
    response.getOutputStream().write(("{\"error\":\"" + message + "\"}").getBytes(StandardCharsets.UTF_8));
  }

  private static void text(HttpServletResponse response, int status, String body) throws IOException {
    response.setStatus(status);
    response.setContentType("text/plain; charset=utf-8");
    response.getOutputStream().write(body.getBytes(StandardCharsets.UTF_8));
  }
}
