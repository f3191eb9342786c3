package dev.keyway.ollama.model;

import java.util.List;

/**
 * The answer of Ollama Cloud's {@code web_search}.
 *
 * @param results the pages found, best first
 */
public record WebSearchResponse(List<Result> results) {

  /** Fills in defaults. */
  public WebSearchResponse {
    results = results == null ? List.of() : List.copyOf(results);
  }

  /**
   * One page found.
   *
   * @param title the page's title
   * @param url its address
   * @param content an excerpt of its text
   */
  public record Result(String title, String url, String content) {
    /** Fills in defaults: missing strings become {@code ""}. */
    public Result {
      title = title == null ? "" : title;
      url = url == null ? "" : url;
      content = content == null ? "" : content;
    }
  }
}
