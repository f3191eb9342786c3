package dev.keyway.ollama.model;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.util.Objects;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * How long the server keeps the model in memory after a request. On the wire it is a number of
 * seconds or a Go duration string.
 *
 * <p>A negative value keeps the model loaded forever, zero unloads it right after the request.
 * Leaving it out uses the server's default ({@code OLLAMA_KEEP_ALIVE}, 5 minutes). Immutable;
 * equal when the wire values are equal.
 */
public final class KeepAlive {
  private static final KeepAlive FOREVER = new KeepAlive(-1L);
  private static final KeepAlive UNLOAD_NOW = new KeepAlive(0L);

  // Go's time.ParseDuration grammar: [-+]?(digits[.digits]unit)+ with units ns us µs μs ms s m h.
  private static final Pattern GO_DURATION = Pattern.compile(
      "[-+]?(?:(?:[0-9]+(?:\\.[0-9]*)?|\\.[0-9]+)(?:ns|us|\u00b5s|\u03bcs|ms|s|m|h))+");
  private static final Pattern BARE_NUMBER = Pattern.compile("[-+]?(?:[0-9]+(?:\\.[0-9]*)?|\\.[0-9]+)");

  private final Object value;

  private KeepAlive(Object value) {
    this.value = value;
  }

  /**
   * Keeps the model for this long, sent as a number of seconds: a whole number when the duration
   * is whole seconds, otherwise a fraction ({@code 500ms} becomes {@code 0.5}). A negative duration
   * means forever, zero means unload now.
   */
  public static KeepAlive of(Duration duration) {
    Objects.requireNonNull(duration, "duration");
    if (duration.getNano() == 0) {
      return new KeepAlive(duration.getSeconds());
    }
    return new KeepAlive(duration.getSeconds() + duration.getNano() / 1_000_000_000.0);
  }

  /** Keeps the model loaded until the server stops: {@code -1}. */
  public static KeepAlive forever() {
    return FOREVER;
  }

  /** Unloads the model as soon as the request is done: {@code 0}. */
  public static KeepAlive unloadNow() {
    return UNLOAD_NOW;
  }

  /**
   * A Go duration string, sent as given: {@code "5m"}, {@code "1h30m"}, {@code "300ms"},
   * {@code "-1m"} (forever). Units are {@code ns}, {@code us}, {@code ms}, {@code s}, {@code m} and
   * {@code h}. As in Go, the only number accepted without a unit is {@code 0}.
   *
   * @throws IllegalArgumentException if the text is not a Go duration, in particular a bare number
   *     such as {@code "300"}, which Ollama answers with 400
   */
  public static KeepAlive parse(String goDuration) {
    Objects.requireNonNull(goDuration, "goDuration");
    String s = goDuration.strip();
    if (s.equals("0") || s.equals("-0") || s.equals("+0")) {
      return new KeepAlive(s);
    }
    if (GO_DURATION.matcher(s).matches()) {
      return new KeepAlive(s);
    }
    if (BARE_NUMBER.matcher(s).matches()) {
      throw new IllegalArgumentException("keep_alive \"" + goDuration + "\" has no unit, and Ollama"
          + " rejects it: add a unit such as \"" + s + "s\", or use KeepAlive.of(Duration)");
    }
    throw new IllegalArgumentException("keep_alive \"" + goDuration + "\" is not a Go duration:"
        + " use a number with a unit (ns, us, ms, s, m, h), such as \"5m\" or \"1h30m\"");
  }

  @JsonCreator(mode = JsonCreator.Mode.DELEGATING)
  static KeepAlive fromJson(JsonNode node) {
    if (node.isIntegralNumber()) {
      return new KeepAlive(node.longValue());
    }
    if (node.isNumber()) {
      return new KeepAlive(node.doubleValue());
    }
    if (node.isTextual()) {
      return parse(node.textValue());
    }
    throw new IllegalArgumentException("keep_alive must be a number of seconds or a duration string");
  }

  /** The wire value: seconds as a {@link Long} or {@link Double}, or a duration {@link String}. */
  @JsonValue
  public Object value() {
    return value;
  }

  @Override
  public boolean equals(@Nullable Object o) {
    return o instanceof KeepAlive && ((KeepAlive) o).value.equals(value);
  }

  @Override
  public int hashCode() {
    return value.hashCode();
  }

  @Override
  public String toString() {
    return "KeepAlive[" + value + "]";
  }
}
