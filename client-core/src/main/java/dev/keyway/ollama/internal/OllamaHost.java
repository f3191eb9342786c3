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

  /**
   * Whether {@code host} is loopback, where plain http cannot be sniffed: the name
   * {@code localhost} (any letter case, with or without a final dot), an IPv4 literal in
   * {@code 127.0.0.0/8} written as four decimal numbers, or the IPv6 literal {@code ::1} (bracketed
   * or not, in any of its spellings, including {@code ::ffff:127.x.y.z}). The text is parsed, never
   * matched by prefix: {@code 127.evil.example}, {@code 127.0.0.1.nip.io} and
   * {@code localhost.evil.com} are names that DNS may point anywhere. Subdomains of
   * {@code localhost} ({@code app.localhost}) are not counted either: RFC 6761 asks resolvers to
   * keep them local, but the JVM hands them to the system resolver, which may ask DNS.
   */
  public static boolean isLoopback(String host) {
    String h = host.strip();
    if (h.startsWith("[") && h.endsWith("]")) {
      h = h.substring(1, h.length() - 1);
    }
    if (h.equalsIgnoreCase("localhost") || h.equalsIgnoreCase("localhost.")) {
      return true;
    }
    if (h.indexOf(':') >= 0) {
      return isLoopbackIpv6(h);
    }
    int[] octets = ipv4(h);
    return octets != null && octets[0] == 127;
  }

  /** The four numbers of a dotted-quad IPv4 literal, or null when {@code s} is not one. */
  private static int @org.jspecify.annotations.Nullable [] ipv4(String s) {
    String[] parts = s.split("\\.", -1);
    if (parts.length != 4) {
      return null;
    }
    int[] octets = new int[4];
    for (int i = 0; i < 4; i++) {
      String p = parts[i];
      if (p.isEmpty() || p.length() > 3 || (p.length() > 1 && p.charAt(0) == '0')) {
        return null; // a leading zero is octal to some resolvers: not a literal we trust
      }
      for (int j = 0; j < p.length(); j++) {
        char c = p.charAt(j);
        if (c < '0' || c > '9') {
          return null;
        }
      }
      octets[i] = Integer.parseInt(p);
      if (octets[i] > 255) {
        return null;
      }
    }
    return octets;
  }

  private static boolean isLoopbackIpv6(String s) {
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      boolean ok = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')
          || c == ':' || c == '.';
      if (!ok) {
        return false; // not a literal (a zone id such as %lo0 is not accepted either)
      }
    }
    try {
      // A literal made only of hex digits, colons and dots is parsed, never looked up in DNS.
      return java.net.InetAddress.getByName(s).isLoopbackAddress();
    } catch (java.net.UnknownHostException notALiteral) {
      return false;
    }
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
