package dev.keyway.samples.chatweb;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/** HTTP calls to the sample from the tests, NDJSON parsing, and the "no key anywhere" check. */
final class Http {
  static final ObjectMapper JSON = new ObjectMapper();
  private static final HttpClient CLIENT = HttpClient.newHttpClient();

  private Http() {}

  /** A fresh key per test class, so that a match can only come from this run. */
  static String newKey(String prefix) {
    byte[] bytes = new byte[12];
    new SecureRandom().nextBytes(bytes);
    return prefix + HexFormat.of().formatHex(bytes);
  }

  static HttpResponse<String> get(String url, String... headers) {
    HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(url));
    if (headers.length > 0) {
      request.headers(headers);
    }
    return send(request.build());
  }

  static HttpResponse<String> basicGet(String url, String user, String password) {
    String token = Base64.getEncoder().encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
    return get(url, "Authorization", "Basic " + token);
  }

  static HttpResponse<String> postJson(String url, String body) {
    return send(HttpRequest.newBuilder(URI.create(url))
        .header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(body)).build());
  }

  /** {@code {"messages":[{"role":"user","content":prompt}]}}, with a model if not null. */
  static String chatBody(String model, String prompt) {
    Map<String, Object> body = new java.util.LinkedHashMap<>();
    if (model != null) {
      body.put("model", model);
    }
    body.put("messages", List.of(Map.of("role", "user", "content", prompt)));
    return write(body);
  }

  static String write(Object value) {
    try {
      return JSON.writeValueAsString(value);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static HttpResponse<String> send(HttpRequest request) {
    try {
      return CLIENT.send(request, HttpResponse.BodyHandlers.ofString());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /** The NDJSON events of a chat answer, in order. */
  static List<Map<String, Object>> events(HttpResponse<String> response) {
    List<Map<String, Object>> events = new ArrayList<>();
    for (String line : response.body().split("\n")) {
      if (!line.isBlank()) {
        events.add(parse(line));
      }
    }
    return events;
  }

  static Map<String, Object> parse(String json) {
    try {
      return JSON.readValue(json, new TypeReference<Map<String, Object>>() {});
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static String joined(List<Map<String, Object>> events, String type) {
    return events.stream().filter(e -> type.equals(e.get("type")))
        .map(e -> (String) e.get("text")).collect(Collectors.joining());
  }

  /** The key is in neither the status line's headers nor the body. */
  static void assertNoKey(HttpResponse<String> response, String key) {
    assertThat(response.headers().map().toString()).as("headers of %s", response.uri()).doesNotContain(key);
    assertThat(response.body()).as("body of %s", response.uri()).doesNotContain(key);
  }
}
