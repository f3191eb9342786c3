package dev.keyway.ollama.testkit;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.MissingNode;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.jspecify.annotations.Nullable;

/**
 * One request as the stand-in received it, recorded before the response was written. Immutable.
 */
public final class RecordedRequest {
  private final String method;
  private final String path;
  private final @Nullable String query;
  private final Map<String, List<String>> headers;
  private final byte[] body;
  private final Instant receivedAt;
  private final int connectionIndex;
  private final int indexOnConnection;

  RecordedRequest(Http1.Request request, Instant receivedAt, int connectionIndex, int indexOnConnection) {
    this.method = request.method;
    this.path = request.path;
    this.query = request.query;
    TreeMap<String, List<String>> map = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
    for (String[] header : request.headers) {
      map.computeIfAbsent(header[0], k -> new ArrayList<>()).add(header[1]);
    }
    map.replaceAll((name, values) -> List.copyOf(values));
    this.headers = Collections.unmodifiableMap(map);
    this.body = request.body;
    this.receivedAt = receivedAt;
    this.connectionIndex = connectionIndex;
    this.indexOnConnection = indexOnConnection;
  }

  /** The method, e.g. {@code POST}. */
  public String method() {
    return method;
  }

  /** The path without the query, e.g. {@code /api/chat}. */
  public String path() {
    return path;
  }

  /** The raw query after {@code ?}, or null when the target had none. */
  public @Nullable String query() {
    return query;
  }

  /** The first value of the header {@code name} (any case), or null when it was not sent. */
  public @Nullable String header(String name) {
    List<String> values = headers.get(name);
    return values == null ? null : values.get(0);
  }

  /** Every header, in a map whose lookups ignore case; values in the order received. */
  public Map<String, List<String>> headers() {
    return headers;
  }

  /**
   * The body decoded as UTF-8 (de-chunked when it came chunked); empty when there was none, and
   * for a blob upload ({@code POST /api/blobs/…}), whose bytes stream through a digest and are not
   * kept (see {@link OllamaStandIn#blobBytesReceived}).
   */
  public String body() {
    return new String(body, StandardCharsets.UTF_8);
  }

  /**
   * The body parsed as JSON; {@link MissingNode} when the body is empty.
   *
   * @throws IllegalStateException if the body is not JSON
   */
  public JsonNode bodyJson() {
    if (body.length == 0) {
      return MissingNode.getInstance();
    }
    try {
      return Json.MAPPER.readTree(body);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("body is not JSON: " + e.getOriginalMessage(), e);
    } catch (java.io.IOException e) {
      throw new IllegalStateException("body is not JSON", e);
    }
  }

  /** When the request line arrived. */
  public Instant receivedAt() {
    return receivedAt;
  }

  /** Which TCP connection carried it: 0 for the first one the stand-in accepted, and so on. */
  public int connectionIndex() {
    return connectionIndex;
  }

  /** 0 for the first request on its connection, 1 for the second (keep-alive), and so on. */
  public int indexOnConnection() {
    return indexOnConnection;
  }

  @Override
  public String toString() {
    return method + " " + path + (query == null ? "" : "?" + query) + " (" + body.length
        + " bytes, connection " + connectionIndex + "#" + indexOnConnection + ")";
  }
}
