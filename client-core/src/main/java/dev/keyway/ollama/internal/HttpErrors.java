package dev.keyway.ollama.internal;

import com.fasterxml.jackson.databind.JsonNode;
import dev.keyway.ollama.OllamaAuthenticationException;
import dev.keyway.ollama.OllamaCancelledException;
import dev.keyway.ollama.OllamaException;
import dev.keyway.ollama.OllamaHttpException;
import dev.keyway.ollama.OllamaModelNotFoundException;
import dev.keyway.ollama.OllamaTransportException;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.time.Duration;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.net.ssl.SSLHandshakeException;
import javax.net.ssl.SSLPeerUnverifiedException;
import okhttp3.HttpUrl;
import okhttp3.Request;
import okhttp3.Response;
import okhttp3.ResponseBody;
import org.jspecify.annotations.Nullable;

/** The one place that turns statuses, bodies and I/O failures into Keyway's exceptions. */
final class HttpErrors {
  static final int MAX_QUOTE = 300;
  private static final long MAX_BODY_PEEK = 8 * 1024;
  private static final Pattern HTML_TITLE =
      Pattern.compile("<title[^>]*>([^<]*)</title>", Pattern.CASE_INSENSITIVE);
  private static final Pattern HTML_TAG = Pattern.compile("<[^>]*>?");
  private static final Pattern MODEL_NOT_FOUND =
      Pattern.compile("model ['\"]([^'\"]*)['\"] not found");

  private final @Nullable String credentialHeader;
  private final Redactor redactor;

  HttpErrors(@Nullable String credentialHeader, Redactor redactor) {
    this.credentialHeader = credentialHeader;
    this.redactor = redactor;
  }

  @Nullable String credentialHeader() {
    return credentialHeader;
  }

  /** Reads at most a few KiB of an error response, closes it, and maps it. */
  OllamaHttpException fromResponse(Response response) {
    String body;
    try (response) {
      ResponseBody peeked = response.peekBody(MAX_BODY_PEEK);
      body = peeked.string();
      if (peeked.contentLength() >= MAX_BODY_PEEK) {
        // Cut by the peek: a key straddling its end must not leave its first characters behind.
        body = redactor.redactCutEnd(body);
      }
    } catch (IOException e) {
      body = "";
    }
    int status = response.code();
    String serverMessage = quote(body);
    Duration retryAfter = retryAfter(response.header("Retry-After"));
    String where = describe(response.request());
    StringBuilder message = new StringBuilder("HTTP ").append(status).append(" from ").append(where);
    message.append(serverMessage.isEmpty() ? " (empty body)" : ": " + serverMessage);
    if (isHtml(body)) {
      message.append(" (an HTML page: a proxy or web server answered, not Ollama)");
    }

    if (status == 401 || status == 403) {
      message.append(". ");
      if (credentialHeader != null) {
        message.append("The credential was sent in header ").append(credentialHeader)
            .append(" (value not shown): check that the key is right and that the server or proxy"
                + " expects this header (OLLAMA_API_KEY / OLLAMA_API_KEY_HEADER, or the client"
                + " builder's apiKey / bearerToken / credential).");
      } else {
        message.append("No credential is configured: set OLLAMA_API_KEY, or call apiKey(…),"
            + " bearerToken(…) or credential(…) on the client builder.");
      }
      if (status == 403 && body.isEmpty()) {
        message.append(" An empty 403 can also come from Ollama's own Origin or Host check"
            + " (OLLAMA_ORIGINS, OLLAMA_HOST).");
      }
      return new OllamaAuthenticationException(status, serverMessage, retryAfter, message.toString());
    }
    if (status == 404) {
      Matcher m = MODEL_NOT_FOUND.matcher(serverMessage);
      if (m.find()) {
        message.append(". Pull the model first (ollama pull ").append(m.group(1).isEmpty() ? "<model>" : m.group(1))
            .append(") or fix its name.");
        return new OllamaModelNotFoundException(m.group(1), serverMessage, message.toString());
      }
      message.append(". The path does not exist there: check the base URL; if a proxy serves Ollama"
          + " under a path prefix, include it (https://host/prefix).");
    } else if (status == 405) {
      message.append(". The server does not accept this method on this path: is the base URL an"
          + " Ollama server?");
    }
    if (retryAfter != null) {
      message.append(" (Retry-After ").append(retryAfter.toSeconds()).append(" s)");
    }
    return new OllamaHttpException(status, serverMessage, retryAfter, message.toString());
  }

  private static boolean isHtml(String body) {
    String start = body.stripLeading();
    return start.regionMatches(true, 0, "<!doctype html", 0, 14) || start.regionMatches(true, 0, "<html", 0, 5);
  }

  /**
   * What the server said, safe to show: {@link #serverMessage(String)} of {@code body} with the
   * credential redacted before it is cut to {@value #MAX_QUOTE} characters (cutting first could
   * keep the start of a key that straddles the cut).
   */
  String quote(String body) {
    return cut(redactor.redact(serverMessage(body, false)));
  }

  /** {@code text} (already extracted from a body) redacted, then cut. */
  String quoteText(String text) {
    return cut(redactor.redact(text));
  }

  /**
   * Maps an I/O failure before or during a call.
   *
   * @param cancelled whether the caller cancelled the call (Keyway's own flag, never OkHttp's
   *     message): the failure is then an {@link OllamaCancelledException}
   */
  OllamaException fromIo(IOException e, Request request, @Nullable String context, boolean cancelled) {
    String where = describe(request);
    String suffix = context == null ? "" : " " + context;
    if (cancelled) {
      return new OllamaCancelledException("Call to " + where + " was cancelled" + suffix, e);
    }
    Throwable root = e;
    while (root.getCause() != null && root.getCause() != root) {
      if (root instanceof SSLHandshakeException) {
        break;
      }
      root = root.getCause();
    }
    String message;
    if (e instanceof UnknownHostException) {
      message = "Cannot resolve host " + request.url().host() + " for " + where + suffix
          + ": check the base URL or OLLAMA_HOST, and DNS.";
    } else if (e instanceof ConnectException || e instanceof NoRouteToHostException) {
      message = "Cannot connect to " + origin(request.url()) + " for " + where + suffix
          + " (" + safe(e.getMessage()) + "): check that Ollama, or the proxy in front of it, is"
          + " running and listening there.";
    } else if (isConnectTimeout(e)) {
      message = "Timed out connecting to " + origin(request.url()) + " for " + where + suffix
          + ": check that the host is reachable, or raise connectTimeout.";
    } else if (e instanceof SSLPeerUnverifiedException
        || e instanceof SSLHandshakeException
        || root instanceof java.security.cert.CertificateException) {
      message = "TLS handshake with " + origin(request.url()) + " failed for " + where + suffix
          + " (" + safe(e.getMessage()) + "). If the server's certificate is signed by a private CA"
          + " (Caddy's tls internal, a company CA), trust it with"
          + " OllamaClient.builder().trustCertificates(Path.of(\"root.crt\"))"
          + " or ollama.ssl.bundle in Spring Boot.";
    } else if (e instanceof SocketTimeoutException || e instanceof InterruptedIOException) {
      message = "Timed out reading from " + where + suffix
          + ": the server sent nothing for longer than the read timeout (or the call timeout"
          + " ran out); raise readTimeout/callTimeout if the model is slow to load.";
    } else {
      message = "I/O error on " + where + suffix + ": " + safe(e.getMessage());
    }
    return new OllamaTransportException(redactor.redact(message), e);
  }

  /** Whether {@code e} is a timeout that ran out before a connection was established. */
  static boolean isConnectTimeout(@Nullable Throwable e) {
    return e instanceof ConnectTimeoutException;
  }

  /**
   * A {@link SocketTimeoutException} that happened before the connection (TCP and TLS) was
   * established: {@link Transport} knows it by whether its network interceptor saw the attempt,
   * never by the exception's message. Its cause is OkHttp's exception.
   */
  static final class ConnectTimeoutException extends SocketTimeoutException {
    private static final long serialVersionUID = 1L;

    ConnectTimeoutException(SocketTimeoutException cause) {
      super("connect timed out");
      initCause(cause);
      setStackTrace(cause.getStackTrace());
    }
  }

  static String describe(Request request) {
    HttpUrl url = request.url();
    return request.method() + " " + origin(url) + url.encodedPath();
  }

  static String origin(HttpUrl url) {
    boolean defaultPort = url.port() == HttpUrl.defaultPort(url.scheme());
    String host = url.host().contains(":") ? "[" + url.host() + "]" : url.host();
    return url.scheme() + "://" + host + (defaultPort ? "" : ":" + url.port());
  }

  /**
   * What the server said: Ollama's {@code error} field, an HTML page's title (or its text
   * without tags), or the body itself with whitespace folded; cut when {@code cut} is set. Text
   * that may hold the credential must be redacted before it is cut: see {@link #quote}.
   */
  static String serverMessage(String body, boolean cut) {
    String trimmed = body.strip();
    if (isHtml(trimmed)) {
      Matcher title = HTML_TITLE.matcher(trimmed);
      String text = title.find() ? title.group(1) : HTML_TAG.matcher(trimmed).replaceAll(" ");
      return cut(text.strip().replaceAll("\\s+", " "), cut);
    }
    if (trimmed.startsWith("{")) {
      try {
        JsonNode node = Json.MAPPER.readTree(trimmed);
        JsonNode error = node == null ? null : node.get("error");
        if (error != null && error.isTextual()) {
          return cut(error.asText(), cut);
        }
      } catch (IOException notJson) {
        // fall through and quote it
      }
    }
    return cut(trimmed.replaceAll("\\s+", " "), cut);
  }

  private static String cut(String s, boolean cut) {
    return cut ? cut(s) : s;
  }

  static String cut(String s) {
    return s.length() <= MAX_QUOTE ? s : s.substring(0, MAX_QUOTE) + "…";
  }

  private String safe(@Nullable String s) {
    return s == null ? "no detail" : quoteText(s);
  }

  static @Nullable Duration retryAfter(@Nullable String header) {
    if (header == null || header.isBlank()) {
      return null;
    }
    String value = header.trim();
    try {
      long seconds = Long.parseLong(value);
      return seconds < 0 ? null : Duration.ofSeconds(seconds);
    } catch (NumberFormatException notSeconds) {
      try {
        Instant when = ZonedDateTime.parse(value, DateTimeFormatter.RFC_1123_DATE_TIME).toInstant();
        Duration d = Duration.between(Instant.now(), when);
        return d.isNegative() ? Duration.ZERO : d;
      } catch (RuntimeException notDate) {
        return null;
      }
    }
  }
}
