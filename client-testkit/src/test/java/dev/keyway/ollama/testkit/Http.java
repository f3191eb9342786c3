package dev.keyway.ollama.testkit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/** java.net.http helpers for the tests. */
final class Http {
  static final HttpClient CLIENT =
      HttpClient.newBuilder()
          .version(HttpClient.Version.HTTP_1_1)
          .connectTimeout(Duration.ofSeconds(5))
          .build();
  static final ObjectMapper MAPPER = new ObjectMapper();

  private Http() {}

  static HttpResponse<String> get(OllamaStandIn ollama, String path, String... headers) {
    return send(request(ollama, path, headers).GET().build());
  }

  static HttpResponse<String> head(OllamaStandIn ollama, String path) {
    return send(request(ollama, path).method("HEAD", HttpRequest.BodyPublishers.noBody()).build());
  }

  static HttpResponse<String> post(OllamaStandIn ollama, String path, String body, String... headers) {
    return send(
        request(ollama, path, headers)
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(body))
            .build());
  }

  /** DELETE with a JSON body, as {@code /api/delete} wants. */
  static HttpResponse<String> delete(OllamaStandIn ollama, String path, String body, String... headers) {
    return send(
        request(ollama, path, headers)
            .header("Content-Type", "application/json")
            .method("DELETE", HttpRequest.BodyPublishers.ofString(body))
            .build());
  }

  /** POST of raw bytes, as a blob upload. */
  static HttpResponse<String> postBytes(OllamaStandIn ollama, String path, byte[] body, String... headers) {
    return send(
        request(ollama, path, headers)
            .header("Content-Type", "application/octet-stream")
            .POST(HttpRequest.BodyPublishers.ofByteArray(body))
            .build());
  }

  static HttpRequest.Builder request(OllamaStandIn ollama, String path, String... headers) {
    HttpRequest.Builder builder =
        HttpRequest.newBuilder(URI.create(ollama.baseUrl() + path)).timeout(Duration.ofSeconds(10));
    for (int i = 0; i < headers.length; i += 2) {
      builder.header(headers[i], headers[i + 1]);
    }
    return builder;
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

  static JsonNode json(String text) {
    try {
      return MAPPER.readTree(text);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The object's field names, in order. */
  static List<String> fieldNames(JsonNode node) {
    List<String> names = new ArrayList<>();
    node.fieldNames().forEachRemaining(names::add);
    return names;
  }

  /** The NDJSON lines of a body, parsed. */
  static List<JsonNode> lines(String body) {
    List<JsonNode> out = new ArrayList<>();
    for (String line : body.split("\n")) {
      if (!line.isEmpty()) {
        out.add(json(line));
      }
    }
    return out;
  }
}
