package dev.keyway.ollama.testkit;

import java.time.Duration;
import org.jspecify.annotations.Nullable;

/**
 * A one-shot misbehaviour for the next chat or generate request, queued with {@link
 * OllamaStandIn#enqueue(Fault)}.
 *
 * <p>Faults wait in a FIFO queue. Each {@code POST /api/chat} or {@code POST /api/generate} that
 * passes the credential check takes the fault at the head of the queue (one use; {@link
 * #times(int)} gives it more). Other paths never take a fault. A taken fault is spent even if the
 * request then fails on its own (unknown model, bad JSON). Immutable.
 *
 * <p>Stream faults count <em>chunks</em>: the thinking, content and tool-call lines written
 * before the {@code done} line. When {@code tokens} is at least the number of chunks, the fault
 * strikes where the {@code done} line would have been. On a {@code "stream":false} request:
 *
 * <table>
 *   <caption>Stream faults on a non-streamed request</caption>
 *   <tr><th>Fault</th><th>Non-streamed</th></tr>
 *   <tr><td>{@link #errorAfter}</td><td>500 {@code {"error":message}}, as Ollama does</td></tr>
 *   <tr><td>{@link #dropAfter}, {@link #dropMidCharacter}</td>
 *       <td>the connection is closed without a response</td></tr>
 *   <tr><td>{@link #endWithoutDone}</td><td>no effect</td></tr>
 *   <tr><td>{@link #lineAfter}</td><td>200 with the raw line as the body</td></tr>
 *   <tr><td>{@link #stallAfter}</td><td>the reply is delayed by the stall</td></tr>
 * </table>
 */
public final class Fault {
  enum Kind {
    ERROR_AFTER,
    DROP_AFTER,
    DROP_MID_CHARACTER,
    END_WITHOUT_DONE,
    STALL_AFTER,
    LINE_AFTER,
    STATUS,
    SLOW_FIRST_BYTE
  }

  final Kind kind;
  final int tokens;
  final String message;
  final int status;
  final String body;
  final @Nullable String retryAfter;
  final Duration delay;
  final int times;

  private Fault(
      Kind kind,
      int tokens,
      String message,
      int status,
      String body,
      @Nullable String retryAfter,
      Duration delay,
      int times) {
    this.kind = kind;
    this.tokens = tokens;
    this.message = message;
    this.status = status;
    this.body = body;
    this.retryAfter = retryAfter;
    this.delay = delay;
    this.times = times;
  }

  /**
   * After {@code tokens} chunks, the in-band error line {@code {"error":message}} and a proper end
   * of the body: the status stays 200 and there is no {@code done} line (ollama-api.md 1.6,
   * case 3).
   */
  public static Fault errorAfter(int tokens, String message) {
    if (message == null) {
      throw new IllegalArgumentException("message is null");
    }
    return stream(Kind.ERROR_AFTER, tokens, message, Duration.ZERO);
  }

  /**
   * After {@code tokens} chunks the connection is closed in the middle of the chunked body: no
   * terminating chunk, no {@code done} line. With 0 the connection closes before any response.
   */
  public static Fault dropAfter(int tokens) {
    return stream(Kind.DROP_AFTER, tokens, "", Duration.ZERO);
  }

  /**
   * After {@code tokens} chunks, the next line is cut right after the first byte of a two-byte
   * UTF-8 character, then the connection is closed. The HTTP chunk announces the whole line. When
   * the next token is plain ASCII an {@code é} is put in front of it.
   */
  public static Fault dropMidCharacter(int tokens) {
    return stream(Kind.DROP_MID_CHARACTER, tokens, "", Duration.ZERO);
  }

  /** {@code tokens} chunks, then a proper end of the chunked body without a {@code done} line. */
  public static Fault endWithoutDone(int tokens) {
    return stream(Kind.END_WITHOUT_DONE, tokens, "", Duration.ZERO);
  }

  /**
   * After {@code tokens} chunks, {@code rawLine} and a newline written as they are (for example
   * a line that is not JSON), then a proper end of the chunked body without a {@code done} line.
   * On a non-streamed request, the reply body is {@code rawLine} with status 200.
   */
  public static Fault lineAfter(int tokens, String rawLine) {
    if (rawLine == null || rawLine.indexOf('\n') >= 0) {
      throw new IllegalArgumentException("rawLine must be one line");
    }
    return stream(Kind.LINE_AFTER, tokens, rawLine, Duration.ZERO);
  }

  /** After {@code tokens} chunks, a pause of {@code stall}, then the rest of the stream. */
  public static Fault stallAfter(int tokens, Duration stall) {
    return stream(Kind.STALL_AFTER, tokens, "", requireDelay(stall));
  }

  /**
   * Answers {@code code} with {@code body} instead of the model's reply, without reading the
   * request body. A body that is a JSON object or array is sent as {@code application/json;
   * charset=utf-8}, one that starts with {@code <} (a proxy's error page) as {@code text/html;
   * charset=utf-8}, any other as {@code text/plain; charset=utf-8}, an empty one with no content
   * type. Example: {@code Fault.status(503, "{\"error\":\"server busy\"}").retryAfter(...)}.
   */
  public static Fault status(int code, String jsonOrTextBody) {
    if (code < 200 || code > 599) {
      throw new IllegalArgumentException("status must be 200..599: " + code);
    }
    if (jsonOrTextBody == null) {
      throw new IllegalArgumentException("body is null");
    }
    return new Fault(Kind.STATUS, 0, "", code, jsonOrTextBody, null, Duration.ZERO, 1);
  }

  /** Waits {@code delay} before the response head; the reply is otherwise normal. */
  public static Fault slowFirstByte(Duration delay) {
    return new Fault(Kind.SLOW_FIRST_BYTE, 0, "", 0, "", null, requireDelay(delay), 1);
  }

  /**
   * Adds {@code Retry-After} in whole seconds, rounded up. Only for {@link #status} faults.
   */
  public Fault retryAfter(Duration after) {
    Duration checked = requireDelay(after);
    long seconds = checked.getSeconds() + (checked.getNano() > 0 ? 1 : 0);
    return retryAfter(Long.toString(seconds));
  }

  /**
   * Adds {@code Retry-After} with this exact value, e.g. an HTTP date. Only for {@link #status}
   * faults.
   */
  public Fault retryAfter(String headerValue) {
    if (kind != Kind.STATUS) {
      throw new IllegalStateException("retryAfter applies to status faults only");
    }
    if (headerValue == null || headerValue.isBlank()) {
      throw new IllegalArgumentException("header value is blank");
    }
    return new Fault(kind, tokens, message, status, body, headerValue, delay, times);
  }

  /** Strikes the next {@code times} chat or generate requests instead of one (default 1). */
  public Fault times(int times) {
    if (times < 1) {
      throw new IllegalArgumentException("times must be at least 1: " + times);
    }
    return new Fault(kind, tokens, message, status, body, retryAfter, delay, times);
  }

  @Override
  public String toString() {
    switch (kind) {
      case STATUS:
        return "Fault.status(" + status + (retryAfter == null ? "" : ", Retry-After " + retryAfter)
            + ") x" + times;
      case SLOW_FIRST_BYTE:
        return "Fault.slowFirstByte(" + delay + ") x" + times;
      default:
        return "Fault." + kind.name().toLowerCase(java.util.Locale.ROOT) + "(" + tokens
            + (delay.isZero() ? "" : ", " + delay) + ") x" + times;
    }
  }

  private static Fault stream(Kind kind, int tokens, String message, Duration delay) {
    if (tokens < 0) {
      throw new IllegalArgumentException("tokens is negative: " + tokens);
    }
    return new Fault(kind, tokens, message, 0, "", null, delay, 1);
  }

  private static Duration requireDelay(Duration delay) {
    if (delay == null || delay.isNegative()) {
      throw new IllegalArgumentException("duration is negative");
    }
    return delay;
  }
}
