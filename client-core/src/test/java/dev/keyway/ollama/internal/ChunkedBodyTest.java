package dev.keyway.ollama.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.ProtocolException;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The push decoder of HTTP/1.1 chunked framing that the relay loop reads bodies through. The twin
 * is the obvious encoder: a random body framed in random chunks (with extensions and trailers or
 * without), pushed in at random cuts (one byte at a time too) with reads of random sizes in
 * between, reads back as the body. Malformed framing and an early end fail with a
 * {@link ProtocolException}, always after the bytes before the fault.
 */
@Timeout(20)
class ChunkedBodyTest {
  private static final byte[] HELLO = "5\r\nhello\r\n".getBytes(StandardCharsets.US_ASCII);

  /** How a framed body is pushed in. */
  enum Feed { WHOLE, RANDOM_CUTS, ONE_BYTE }

  @Test
  void randomBodiesInRandomChunksReadBackAsTheyWereSent() throws IOException {
    long base = new Random().nextLong();
    for (int i = 0; i < 300; i++) {
      long seed = base + i;
      Random r = new Random(seed);
      byte[] body = new byte[r.nextInt(4) == 0 ? r.nextInt(60_000) : r.nextInt(600)];
      r.nextBytes(body);
      boolean extensions = r.nextBoolean();
      boolean trailers = r.nextBoolean();
      Feed feed = body.length < 3_000 && r.nextInt(3) == 0 ? Feed.ONE_BYTE
          : r.nextBoolean() ? Feed.RANDOM_CUTS : Feed.WHOLE;
      byte[] framed = frame(body, r, extensions, trailers);
      String about = "seed " + seed + " (" + body.length + " bytes, extensions " + extensions
          + ", trailers " + trailers + ", " + feed + ")";

      try {
        readsBackAsSent(body, framed, r, feed, about);
      } catch (RuntimeException e) { // an index out of bounds, say: name the seed
        throw new AssertionError(about, e);
      }
    }
  }

  private static void readsBackAsSent(byte[] body, byte[] framed, Random r, Feed feed, String about)
      throws IOException {
    ChunkedBody decoded = new ChunkedBody();
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    byte[] buffer = new byte[1 + r.nextInt(20_000)];
    assertThat(drain(decoded, out, r, buffer, true)).as(about).isFalse(); // nothing pushed: Drained
    for (ByteBuffer piece : pieces(framed, r, feed)) {
      decoded.decode(piece);
      assertThat(piece.hasRemaining()).as(about).isFalse();
      // Sometimes read nothing, sometimes a little, sometimes all there is: decoded bytes pile
      // up behind unread ones, as they do while a relay's sink is paused.
      int mood = r.nextInt(3);
      if (mood == 1) {
        readSome(decoded, out, r);
      } else if (mood == 2) {
        drain(decoded, out, r, buffer, false);
      }
    }
    assertThat(decoded.ended()).as(about).isTrue();
    assertThat(drain(decoded, out, r, buffer, false)).as(about).isTrue();
    assertThat(out.toByteArray()).as(about).isEqualTo(body);
    assertThat(decoded.read(new byte[8], 0, 8)).as(about).isEqualTo(-1);
    assertThat(decoded.read()).as(about).isEqualTo(-1);
    // the end is the end: a later early end or failure changes nothing
    decoded.upstreamEnded();
    decoded.fail(new SocketTimeoutException("late"));
    assertThat(decoded.read(new byte[8], 0, 8)).as(about).isEqualTo(-1);
  }

  /** While a relay's sink is paused, what is decoded piles up behind the bytes it has not taken. */
  @Test
  void aLargePushBehindUnreadBytesIsKeptWhole() throws IOException {
    byte[] body = new byte[60_000];
    new Random(1).nextBytes(body);
    byte[] framed = concat(concat(bytes("ea60\r\n"), body), bytes("\r\n0\r\n\r\n")); // one chunk
    ChunkedBody decoded = new ChunkedBody();
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    decoded.decode(ByteBuffer.wrap(framed, 0, 16_000));
    byte[] b = new byte[100];
    out.write(b, 0, decoded.read(b, 0, b.length));
    decoded.decode(ByteBuffer.wrap(framed, 16_000, framed.length - 16_000));
    assertThat(drain(decoded, out, new Random(3), new byte[4096], false)).isTrue();
    assertThat(out.toByteArray()).isEqualTo(body);
  }

  @Test
  void bareLineFeedsAndUpperCaseHexAndLeadingZerosAreFramingToo() throws IOException {
    byte[] framed = ("00000000000000A\nabcdefghij\n" + "1F;name=\"quoted value\"\r\n"
        + "0123456789012345678901234567890\r\n" + "0\nX-Trailer: 1\n\n")
        .getBytes(StandardCharsets.US_ASCII);
    for (Feed feed : Feed.values()) {
      ChunkedBody decoded = new ChunkedBody();
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      Random r = new Random(7);
      for (ByteBuffer piece : pieces(framed, r, feed)) {
        decoded.decode(piece);
      }
      assertThat(drain(decoded, out, r, new byte[5], false)).as(feed.name()).isTrue();
      assertThat(out.toString(StandardCharsets.US_ASCII))
          .isEqualTo("abcdefghij0123456789012345678901234567890");
    }
  }

  @Test
  void aReadWithNothingDecodedThrowsDrainedUntilTheBodyEnds() throws IOException {
    ChunkedBody decoded = new ChunkedBody();
    assertThatThrownBy(() -> decoded.read(new byte[4], 0, 4)).isSameAs(ChunkedBody.Drained.INSTANCE);
    decoded.decode(ByteBuffer.wrap(bytes("5\r\nhel")));
    assertThat(decoded.available()).isEqualTo(3);
    byte[] b = new byte[8];
    assertThat(decoded.read(b, 0, 8)).isEqualTo(3);
    assertThatThrownBy(decoded::read).isSameAs(ChunkedBody.Drained.INSTANCE);
    decoded.decode(ByteBuffer.wrap(bytes("lo\r\n0\r\n"))); // the last chunk, but not yet the end of its trailers
    assertThat(decoded.read(b, 0, 8)).isEqualTo(2);
    assertThat(decoded.ended()).isFalse();
    assertThatThrownBy(() -> decoded.read(b, 0, 8)).isSameAs(ChunkedBody.Drained.INSTANCE);
    assertThat(decoded.read(b, 0, 0)).isZero();
    decoded.decode(ByteBuffer.wrap(bytes("\r\n")));
    assertThat(decoded.ended()).isTrue();
    assertThat(decoded.read(b, 0, 8)).isEqualTo(-1);
  }

  @Test
  void bytesAfterTheLastChunkAreIgnored() throws IOException {
    ChunkedBody decoded = new ChunkedBody();
    ByteBuffer in = ByteBuffer.wrap(bytes("2\r\nok\r\n0\r\n\r\nHTTP/1.1 200 OK\r\n"));
    decoded.decode(in);
    assertThat(in.hasRemaining()).isFalse();
    assertThat(readAll(decoded)).isEqualTo("ok");
  }

  @ParameterizedTest
  @ValueSource(strings = {
      "zz\r\n", // not hex
      "5g\r\n", // hex, then not
      "\r\n", // a size line without digits
      ";a=b\r\n", // an extension without a size
      " 5\r\n", // leading space
      "-5\r\n",
      "0000000000000005\r\n", // 16 digits
      "3\r\nhello\r\n", // the chunk is longer than its size
      "3\r\nhel\rx", // a carriage return, then not a line feed
      "5\rx", // a size line's carriage return, then not a line feed
      "0\r\n\rX", // the trailer section's carriage return, then not a line feed
  })
  void malformedFramingFailsWithAProtocolExceptionAfterTheBytesBeforeIt(String bad) throws IOException {
    for (Feed feed : Feed.values()) {
      byte[] framed = concat(HELLO, bytes(bad + "5\r\nworld\r\n0\r\n\r\n"));
      ChunkedBody decoded = new ChunkedBody();
      for (ByteBuffer piece : pieces(framed, new Random(bad.hashCode()), feed)) {
        decoded.decode(piece);
      }
      String expected = bad.startsWith("3\r\nhel") ? "hellohel" : "hello";
      assertThat(readUpToFailure(decoded)).as(feed.name()).isEqualTo(expected);
      assertThatThrownBy(() -> decoded.read(new byte[8], 0, 8)).as(feed.name())
          .isInstanceOf(ProtocolException.class);
      assertThat(decoded.ended()).isFalse();
    }
  }

  @Test
  void fifteenDigitsAreStillASize() throws IOException {
    ChunkedBody decoded = new ChunkedBody();
    decoded.decode(ByteBuffer.wrap(bytes("000000000000005\r\nhello\r\n0\r\n\r\n")));
    assertThat(readAll(decoded)).isEqualTo("hello");
  }

  @Test
  void anOverlongExtensionOrTrailerSectionFails() throws IOException {
    String near = "a=" + "b".repeat(ChunkedBody.MAX_LINE - 10);
    ChunkedBody fine = new ChunkedBody();
    fine.decode(ByteBuffer.wrap(bytes("5;" + near + "\r\nhello\r\n0\r\nX: " + near + "\r\n\r\n")));
    assertThat(readAll(fine)).isEqualTo("hello");

    String over = "a=" + "b".repeat(ChunkedBody.MAX_LINE);
    ChunkedBody extension = new ChunkedBody();
    extension.decode(ByteBuffer.wrap(concat(HELLO, bytes("5;" + over + "\r\nworld\r\n0\r\n\r\n"))));
    assertThat(readUpToFailure(extension)).isEqualTo("hello");
    assertThatThrownBy(extension::read).isInstanceOf(ProtocolException.class);

    ChunkedBody trailer = new ChunkedBody();
    trailer.decode(ByteBuffer.wrap(concat(HELLO, bytes("0\r\nX-One: " + near + "\r\nX-Two: " + near + "\r\n\r\n"))));
    assertThat(readUpToFailure(trailer)).isEqualTo("hello");
    assertThatThrownBy(trailer::read).isInstanceOf(ProtocolException.class);
    assertThat(trailer.ended()).isFalse();
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "5", "5\r", "5\r\n", "5\r\nhel", "5\r\nhello", "5\r\nhello\r",
      "5\r\nhello\r\n", "5\r\nhello\r\n0", "5\r\nhello\r\n0\r\n", "5\r\nhello\r\n0\r\nX: y\r\n"})
  void anUpstreamThatEndsBeforeTheLastChunkFailsAfterTheBytesBeforeIt(String sent) throws IOException {
    ChunkedBody decoded = new ChunkedBody();
    decoded.decode(ByteBuffer.wrap(bytes(sent)));
    String before = sent.length() >= 3 ? sent.substring(3, Math.min(sent.length(), 8)) : "";
    decoded.upstreamEnded();
    assertThat(readUpToFailure(decoded)).isEqualTo(before);
    assertThatThrownBy(() -> decoded.read(new byte[8], 0, 8)).isInstanceOf(ProtocolException.class);
    // and it stays failed
    assertThatThrownBy(decoded::read).isInstanceOf(ProtocolException.class);
  }

  @Test
  void anUpstreamEndingAfterTheLastChunkIsTheEnd() throws IOException {
    ChunkedBody decoded = new ChunkedBody();
    decoded.decode(ByteBuffer.wrap(bytes("5\r\nhello\r\n0\r\n\r\n")));
    decoded.upstreamEnded();
    assertThat(readAll(decoded)).isEqualTo("hello");
  }

  @Test
  void aFailureSurfacesAfterTheDecodedBytesAndTheFirstOneStays() throws IOException {
    ChunkedBody decoded = new ChunkedBody();
    decoded.decode(ByteBuffer.wrap(bytes("a\r\n0123456789\r\n3\r\nab")));
    SocketTimeoutException first = new SocketTimeoutException("first");
    decoded.fail(first);
    decoded.fail(new IOException("second"));
    decoded.upstreamEnded();
    decoded.decode(ByteBuffer.wrap(bytes("c\r\n0\r\n\r\n"))); // nothing is decoded after a failure
    assertThat(decoded.ended()).isFalse();
    byte[] b = new byte[7];
    assertThat(decoded.read(b, 0, 7)).isEqualTo(7);
    assertThat(decoded.read(b, 0, 7)).isEqualTo(5);
    assertThatThrownBy(() -> decoded.read(b, 0, 7)).isSameAs(first);
    assertThatThrownBy(() -> decoded.read(b, 0, 7)).isSameAs(first);
  }

  /** A relay giving up on a paused sink after the last chunk came: the rest is not a clean end. */
  @Test
  void aFailureAfterTheLastChunkFailsTheReadsUntilTheEndWasRead() throws IOException {
    ChunkedBody decoded = new ChunkedBody();
    decoded.decode(ByteBuffer.wrap(bytes("5\r\nhello\r\n0\r\n\r\n")));
    assertThat(decoded.ended()).isTrue();
    SocketTimeoutException stalled = new SocketTimeoutException("the sink took nothing");
    decoded.fail(stalled);
    assertThat(readUpToFailure(decoded)).isEqualTo("hello");
    assertThatThrownBy(decoded::read).isSameAs(stalled);
  }

  @Test
  void aFramingErrorIsNotReplacedByALaterFailure() throws IOException {
    ChunkedBody decoded = new ChunkedBody();
    decoded.decode(ByteBuffer.wrap(concat(HELLO, bytes("xyz\r\n"))));
    decoded.fail(new SocketTimeoutException("later"));
    decoded.upstreamEnded();
    assertThat(readUpToFailure(decoded)).isEqualTo("hello");
    assertThatThrownBy(decoded::read).isInstanceOf(ProtocolException.class);
  }

  // --- the obvious encoder, and ways to push and read

  /** {@code body} in chunks of random sizes, with CRLF framing and the end. */
  static byte[] frame(byte[] body, Random r, boolean extensions, boolean trailers) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    int at = 0;
    while (at < body.length) {
      int n = Math.min(body.length - at, r.nextInt(8) == 0 ? 1 + r.nextInt(40_000) : 1 + r.nextInt(300));
      String size = Integer.toHexString(n);
      size = r.nextBoolean() ? size.toUpperCase(java.util.Locale.ROOT) : size;
      if (r.nextInt(5) == 0) {
        size = "0".repeat(r.nextInt(15 - size.length() + 1)) + size;
      }
      out.writeBytes(bytes(size + (extensions ? extension(r) : "") + "\r\n"));
      out.write(body, at, n);
      out.writeBytes(bytes("\r\n"));
      at += n;
    }
    out.writeBytes(bytes("0" + (extensions ? extension(r) : "") + "\r\n"));
    if (trailers) {
      for (int i = r.nextInt(3); i >= 0; i--) {
        out.writeBytes(bytes("X-Trailer-" + i + ": " + "v".repeat(r.nextInt(50)) + "\r\n"));
      }
    }
    out.writeBytes(bytes("\r\n"));
    return out.toByteArray();
  }

  private static String extension(Random r) {
    StringBuilder s = new StringBuilder();
    for (int i = r.nextInt(3); i > 0; i--) {
      s.append(r.nextBoolean() ? ";a=b" : " ;name=\"va;lue\"");
    }
    return s.toString();
  }

  /** {@code framed} cut as {@code feed} says, each piece a window of a larger buffer. */
  static List<ByteBuffer> pieces(byte[] framed, Random r, Feed feed) {
    List<ByteBuffer> pieces = new ArrayList<>();
    int at = 0;
    while (at < framed.length) {
      int n = switch (feed) {
        case WHOLE -> framed.length;
        case ONE_BYTE -> 1;
        case RANDOM_CUTS -> 1 + r.nextInt(switch (r.nextInt(3)) {
          case 0 -> 20;
          case 1 -> 20_000;
          default -> 70_000;
        });
      };
      n = Math.min(n, framed.length - at);
      // a window with bytes either side that are not the decoder's to read
      ByteBuffer window = ByteBuffer.wrap(framed).position(at).limit(at + n);
      pieces.add(window);
      at += n;
    }
    return pieces;
  }

  /** Reads some decoded bytes: true at the end, false when nothing is decoded (Drained). */
  private static boolean drain(ChunkedBody in, ByteArrayOutputStream out, Random r, byte[] b,
      boolean single) throws IOException {
    while (true) {
      int n;
      try {
        if (single || r.nextInt(50) == 0) {
          int c = in.read();
          n = c < 0 ? -1 : 1;
          b[0] = (byte) c;
        } else {
          n = in.read(b, 0, b.length);
        }
      } catch (ChunkedBody.Drained drained) {
        assertThat(in.available()).isZero();
        assertThat(in.ended()).isFalse();
        return false;
      }
      if (n < 0) {
        return true;
      }
      assertThat(n).isPositive();
      out.write(b, 0, n);
    }
  }

  private static void readSome(ChunkedBody in, ByteArrayOutputStream out, Random r) throws IOException {
    if (in.available() == 0) {
      return;
    }
    byte[] b = new byte[1 + r.nextInt(Math.max(1, in.available() / 2) + 1)];
    int n = in.read(b, 0, b.length);
    out.write(b, 0, n);
  }

  /** What reads give before they throw (Drained or a failure) or end. */
  private static String readUpToFailure(ChunkedBody in) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    byte[] b = new byte[3];
    try {
      for (int n; (n = in.read(b, 0, b.length)) >= 0; ) {
        out.write(b, 0, n);
      }
    } catch (IOException | ChunkedBody.Drained e) {
      // stop here
    }
    return out.toString(StandardCharsets.ISO_8859_1);
  }

  private static String readAll(ChunkedBody in) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    byte[] b = new byte[3];
    for (int n; (n = in.read(b, 0, b.length)) >= 0; ) {
      out.write(b, 0, n);
    }
    return out.toString(StandardCharsets.ISO_8859_1);
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.ISO_8859_1);
  }

  private static byte[] concat(byte[] a, byte[] b) {
    byte[] out = new byte[a.length + b.length];
    System.arraycopy(a, 0, out, 0, a.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }
}
