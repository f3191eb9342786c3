package dev.keyway.ollama.model;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.List;

/**
 * The log probability of one output token, returned when a request sets {@code logprobs}.
 *
 * @param token the token's text; {@code null} becomes {@code ""}
 * @param logprob its natural-log probability, at most 0
 * @param bytes the token's UTF-8 bytes as ints 0..255; empty for an empty token
 * @param topLogprobs the likeliest alternatives at this position, best first, when the request
 *     set {@code top_logprobs}; otherwise empty
 */
public record Logprob(
    String token,
    double logprob,
    @JsonInclude(JsonInclude.Include.NON_EMPTY) List<Integer> bytes,
    @JsonInclude(JsonInclude.Include.NON_EMPTY) List<Logprob> topLogprobs) {

  /** Fills in defaults: a missing token is {@code ""}, missing lists are empty. */
  public Logprob {
    token = token == null ? "" : token;
    bytes = bytes == null ? List.of() : List.copyOf(bytes);
    topLogprobs = topLogprobs == null ? List.of() : List.copyOf(topLogprobs);
  }
}
