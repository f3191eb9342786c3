package dev.keyway.ollama.internal;

import okhttp3.HttpUrl;

/**
 * Parses {@code OLLAMA_HOST} as Ollama's Go client does ({@code envconfig.ConnectableHost}), and
 * strict base URLs.
 */
public final class OllamaHost {
  private static final int DEFAULT_PORT = 11434;

  private OllamaHost() {}

  /** {@code OLLAMA_HOST} semantics; see {@code ollama-api.md} §1.1. */
  public static HttpUrl parse(String raw) {
    String s = trimQuotesAndSpaces(raw == null ? "" : raw);
    String scheme = "http";
    int port = DEFAULT_PORT;
    int sep = s.indexOf("://");
    if (sep >= 0) {
      scheme = s.substring(0, sep).toLowerCase(java.util.Locale.ROOT);
      s = s.substring(sep + 3);
      if (scheme.equals("http")) {
        port = 80;
      } else if (scheme.equals("https")) {
        port = 443;
      } else {
        throw new IllegalArgumentException(
            "OLLAMA_HOST scheme '" + scheme + "' is not supported; use http:// or https://");
      }
    }
    String path = "";
    int slash = s.indexOf('/');
    if (slash >= 0) {
      path = s.substring(slash);
      s = s.substring(0, slash);
    }
    if (s.contains("@")) {
      throw new IllegalArgumentException(
          "OLLAMA_HOST must not contain a user name or password; pass the secret as a credential");
    }
    String host;
    String portText = null;
    if (s.startsWith("[")) {
      int end = s.indexOf(']');
      if (end < 0) {
        throw new IllegalArgumentException("OLLAMA_HOST has an unclosed IPv6 bracket: " + raw);
      }
      host = s.substring(1, end);
      String rest = s.substring(end + 1);
      if (rest.startsWith(":")) {
        portText = rest.substring(1);
      }
    } else if (s.indexOf(':') != s.lastIndexOf(':')) {
      host = s; // a bare IPv6 address such as ::1
    } else {
      int colon = s.indexOf(':');
      host = colon >= 0 ? s.substring(0, colon) : s;
      portText = colon >= 0 ? s.substring(colon + 1) : null;
    }
    if (host.isEmpty() || host.equals("0.0.0.0")) {
      host = "127.0.0.1"; // Go dials the local host for an empty or unspecified address
    } else if (host.equals("::")) {
      host = "::1";
    }
    if (sep < 0 && host.equalsIgnoreCase("ollama.com")) {
      scheme = "https"; // Ollama's special case: bare ollama.com is the cloud over TLS
      port = 443;
    }
    if (portText != null && !portText.isEmpty()) {
      try {
        port = Integer.parseInt(portText);
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("OLLAMA_HOST port '" + portText + "' is not a number");
      }
    }
    HttpUrl.Builder url;
    try {
      url = new HttpUrl.Builder().scheme(scheme).host(host).port(port);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("OLLAMA_HOST '" + raw + "' is not a valid host: " + e.getMessage());
    }
    return withPath(url, path);
  }

  /** A strict {@code http(s)://host[:port][/prefix]} URL. */
  public static HttpUrl parseUrl(String raw) {
    java.util.Objects.requireNonNull(raw, "baseUrl");
    String trimmed = raw.trim();
    HttpUrl url = HttpUrl.parse(trimmed);
    if (url == null) {
      throw new IllegalArgumentException(
          "baseUrl '" + redactUserInfo(trimmed) + "' is not an http(s) URL; expected something like"
              + " https://ollama.example.com or http://127.0.0.1:11434");
    }
    if (!url.encodedUsername().isEmpty() || !url.encodedPassword().isEmpty()) {
      throw new IllegalArgumentException(
          "baseUrl must not contain a user name or password; pass the secret with apiKey(…),"
              + " bearerToken(…) or credential(…) instead");
    }
    if (url.encodedQuery() != null || url.encodedFragment() != null) {
      throw new IllegalArgumentException(
          "baseUrl must not have a query or fragment: " + url.newBuilder().query(null).fragment(null).build());
    }
    return withPath(url.newBuilder(), url.encodedPath());
  }

  /** Whether {@code host} is a loopback name or address, where plain http cannot be sniffed. */
  public static boolean isLoopback(String host) {
    return host.equalsIgnoreCase("localhost")
        || host.endsWith(".localhost")
        || host.startsWith("127.")
        || host.equals("::1")
        || host.equals("0:0:0:0:0:0:0:1");
  }

  private static HttpUrl withPath(HttpUrl.Builder url, String path) {
    String p = path;
    while (p.endsWith("/")) {
      p = p.substring(0, p.length() - 1);
    }
    // Always end in '/' so endpoint paths append after the prefix.
    return url.encodedPath(p + "/").build();
  }

  private static String trimQuotesAndSpaces(String s) {
    String t = s.trim();
    while (!t.isEmpty() && (t.charAt(0) == '"' || t.charAt(0) == '\'')) {
      t = t.substring(1).trim();
    }
    while (!t.isEmpty() && (t.endsWith("\"") || t.endsWith("'"))) {
      t = t.substring(0, t.length() - 1).trim();
    }
    return t;
  }

  private static String redactUserInfo(String s) {
    return s.replaceAll("//[^/@]*@", "//[redacted]@");
  }
}
