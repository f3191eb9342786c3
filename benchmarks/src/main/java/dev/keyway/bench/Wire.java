package dev.keyway.bench;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Pre-rendered Ollama wire bytes, in the shape of {@code ollama-wire/chat-stream-basic.ndjson}
 * (recorded from the server: Go struct field order, {@code created_at} in UTC with a variable
 * number of fraction digits, {@code <} and {@code &} escaped as {@code \u003c} and {@code \u0026},
 * raw UTF-8 for the rest).
 */
final class Wire {
  /** Size of one HTTP chunk the stand-in writes when it answers as fast as it can. */
  static final int HTTP_CHUNK = 16 * 1024;

  private static final DateTimeFormatter SECONDS =
      DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss", Locale.ROOT).withZone(ZoneOffset.UTC);
  private static final Instant START = Instant.parse("2026-08-20T14:03:11.504182Z");

  /**
   * Tokens as a llama tokenizer cuts an ordinary answer; every 40th token is the recorded line 5,
   * with its escapes and its non-ASCII character.
   */
  private static final String[] TOKENS = (
      "The| sky| looks| blue| because| of| a| process| called| Rayleigh| scattering|.| Sunlight| is| made| of|"
          + " many| colours|,| and| each| colour| has| its| own| wavelength|.| When| light| enters| the|"
          + " atmosphere|,| it| hits| tiny| molecules| of| nitrogen| and| oxygen|.| These| molecules|"
          + " scatter| shorter| wavelengths| much| more| strongly| than| longer| ones|,| so| blue| light|"
          + " is| sent| in| every| direction| across| the| sky|.| At| sunset| the| light| travels| through|"
          + " more| air|,| the| blue| is| scattered| away|,| and| reds| and| oranges| remain|.\n\n|")
      .split("\\|");

  static final String SPECIAL_TOKEN = " because short wavelengths (λ \\u003c 500 nm) scatter more \\u0026 reach your eyes.";

  private Wire() {}

  /** The JSON text (escaped as on the wire) of content token {@code i}. */
  static String token(int i) {
    if (i % 40 == 39) {
      return SPECIAL_TOKEN;
    }
    return TOKENS[i % TOKENS.length].replace("\n", "\\n");
  }

  /** Go's RFC 3339 with nanoseconds and trailing zeros trimmed, as {@code created_at} is sent. */
  static String createdAt(long micros) {
    Instant at = START.plusNanos(micros * 1000);
    StringBuilder b = new StringBuilder(32).append(SECONDS.format(at));
    int nanos = at.getNano();
    if (nanos != 0) {
      String fraction = String.format(Locale.ROOT, "%09d", nanos);
      int end = fraction.length();
      while (fraction.charAt(end - 1) == '0') {
        end--;
      }
      b.append('.').append(fraction, 0, end);
    }
    return b.append('Z').toString();
  }

  /** Content line {@code i} of a stream. */
  static String contentLine(int i, String escapedContent) {
    // 17.8 ms apart, as in the recording; every 8th lands on a whole millisecond (3 fraction digits).
    long micros = i * 17_750L + (i % 8 == 2 ? 0 : 182 + (i * 7919L) % 800);
    return "{\"model\":\"llama3.2\",\"created_at\":\"" + createdAt(micros)
        + "\",\"message\":{\"role\":\"assistant\",\"content\":\"" + escapedContent + "\"},\"done\":false}\n";
  }

  /** The final line of a stream of {@code tokens} content chunks, with the stats the server adds. */
  static String doneLine(int tokens) {
    long micros = tokens * 17_750L + 368;
    return "{\"model\":\"llama3.2\",\"created_at\":\"" + createdAt(micros)
        + "\",\"message\":{\"role\":\"assistant\",\"content\":\"\"},\"done\":true,\"done_reason\":\"stop\","
        + "\"total_duration\":" + (1_448_000_000L + tokens * 17_750_000L) + ",\"load_duration\":1334875,"
        + "\"prompt_eval_count\":31,\"prompt_eval_duration\":42546000,\"eval_count\":" + tokens
        + ",\"eval_duration\":" + (tokens * 17_750_000L) + "}\n";
  }

  /** An NDJSON body: {@code tokens} content lines and the done line. */
  static byte[] ndjson(int tokens) {
    ByteArrayOutputStream out = new ByteArrayOutputStream(tokens * 128 + 512);
    for (int i = 0; i < tokens; i++) {
      byte[] line = contentLine(i, token(i)).getBytes(StandardCharsets.UTF_8);
      out.write(line, 0, line.length);
    }
    byte[] done = doneLine(tokens).getBytes(StandardCharsets.UTF_8);
    out.write(done, 0, done.length);
    return out.toByteArray();
  }

  /** The recorded six-line stream, as it is in the fixture. */
  static byte[] recordedStream() {
    return resource("ollama-wire/chat-stream-basic.ndjson");
  }

  /** A unary chat answer: the fixture's fields, compact, as the server serializes them. */
  static byte[] unaryAnswer() {
    return ("{\"model\":\"llama3.2\",\"created_at\":\"2023-12-12T14:13:43.416799Z\",\"message\":{\"role\":"
        + "\"assistant\",\"content\":\"Hello! How are you today?\"},\"done_reason\":\"stop\",\"done\":true,"
        + "\"total_duration\":5191566416,\"load_duration\":2154458,\"prompt_eval_count\":26,"
        + "\"prompt_eval_duration\":383809000,\"eval_count\":298,\"eval_duration\":4799921000}")
        .getBytes(StandardCharsets.UTF_8);
  }

  /** {@code body} framed in chunked transfer encoding, {@link #HTTP_CHUNK} bytes a chunk, with the last chunk. */
  static List<byte[]> chunked(byte[] body) {
    List<byte[]> frames = new ArrayList<>(body.length / HTTP_CHUNK + 2);
    for (int off = 0; off < body.length; off += HTTP_CHUNK) {
      int len = Math.min(HTTP_CHUNK, body.length - off);
      frames.add(frame(body, off, len));
    }
    frames.add("0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
    return frames;
  }

  /** One HTTP chunk: hex size, CRLF, data, CRLF. */
  static byte[] frame(byte[] data, int off, int len) {
    byte[] head = (Integer.toHexString(len) + "\r\n").getBytes(StandardCharsets.US_ASCII);
    byte[] frame = new byte[head.length + len + 2];
    System.arraycopy(head, 0, frame, 0, head.length);
    System.arraycopy(data, off, frame, head.length, len);
    frame[frame.length - 2] = '\r';
    frame[frame.length - 1] = '\n';
    return frame;
  }

  private static byte[] resource(String name) {
    try (InputStream in = Wire.class.getClassLoader().getResourceAsStream(name)) {
      if (in == null) {
        throw new IllegalStateException("missing resource " + name);
      }
      return in.readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
