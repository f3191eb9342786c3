package dev.keyway.ollama.model;

import java.util.List;

/**
 * The answer of Ollama Cloud's {@code web_fetch}: one page, as text.
 *
 * @param title the page's title; {@code null} becomes {@code ""}
 * @param content its text (Markdown)
 * @param links the links it holds
 */
public record WebFetchResponse(String title, String content, List<String> links) {

  /** Fills in defaults. */
  public WebFetchResponse {
    title = title == null ? "" : title;
    content = content == null ? "" : content;
    links = links == null ? List.of() : List.copyOf(links);
  }
}
