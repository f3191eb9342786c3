package dev.keyway.ollama.testkit;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;

/**
 * Web search and web fetch, at ollama.com's paths ({@code /api/web_search}, {@code /api/web_fetch})
 * and a signed-in local server's ({@code /api/experimental/…}): canned answers shaped like
 * web-search.json and web-fetch.json, built from the request, so a test can tell them apart.
 */
final class CloudRoutes {
  private static final int DEFAULT_RESULTS = 5;
  private static final int MAX_RESULTS = 10;

  private CloudRoutes() {}

  /**
   * {@code {"results":[{"title","url","content"}…]}}: {@code max_results} of them (5 when absent
   * or 0, otherwise held to 1..10).
   */
  static void webSearch(Exchange ex) throws IOException {
    ObjectNode json = JsonBody.read(ex, "WebSearchRequest", "query", "string", "max_results", "int");
    if (json == null) {
      return;
    }
    String query = JsonBody.text(json, "query");
    if (query.isBlank()) {
      ex.error(400, "query is required");
      return;
    }
    int max = json.path("max_results").asInt(0);
    int count = max == 0 ? DEFAULT_RESULTS : Math.max(1, Math.min(MAX_RESULTS, max));
    String encoded = URLEncoder.encode(query, StandardCharsets.UTF_8);
    ObjectNode reply = Json.object();
    ArrayNode results = reply.putArray("results");
    for (int i = 1; i <= count; i++) {
      results.addObject()
          .put("title", query + " - result " + i)
          .put("url", "https://example.com/search/" + i + "?q=" + encoded)
          .put("content", "Result " + i + " of " + count + " for \"" + query + "\"...");
    }
    ex.json(200, Json.bytes(reply));
  }

  /** {@code {"title","content","links":[…]}}: the host as the title, the URL first among the links. */
  static void webFetch(Exchange ex) throws IOException {
    ObjectNode json = JsonBody.read(ex, "WebFetchRequest", "url", "string");
    if (json == null) {
      return;
    }
    String url = JsonBody.text(json, "url").strip();
    if (url.isEmpty()) {
      ex.error(400, "url is required");
      return;
    }
    String host = url;
    String origin = null;
    try {
      URI uri = URI.create(url);
      if (uri.getHost() != null && uri.getScheme() != null) {
        host = uri.getHost();
        origin = uri.getScheme() + "://" + uri.getRawAuthority();
      }
    } catch (IllegalArgumentException notAUri) {
      // the title stays the text as sent
    }
    ObjectNode reply = Json.object();
    reply.put("title", host);
    reply.put("content", "Content of " + url + "...");
    ArrayNode links = reply.putArray("links");
    links.add(url);
    if (origin != null) {
      links.add(origin + "/about");
      links.add(origin + "/blog");
    }
    ex.json(200, Json.bytes(reply));
  }
}
