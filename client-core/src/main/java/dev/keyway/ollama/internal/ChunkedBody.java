package dev.keyway.ollama.internal;

import java.io.IOException;
import java.io.InputStream;
import java.net.ProtocolException;
import java.nio.ByteBuffer;
import java.util.Arrays;
import org.jspecify.annotations.Nullable;

/**
 * An HTTP/1.1 chunked body decoded as its bytes are pushed in ({@link #decode}), read back as an
 * {@link InputStream} that never blocks: with nothing decoded and the body not ended, a read
 * throws {@link Drained} instead of waiting, and the reader comes back once more bytes are pushed.
 * This lets {@link RelayLoop} run the relayed body through the same filters a blocking read uses
 * ({@link Redactor}'s stream, the call's observation), none of which then needs a second,
 * push-style version.
 *
 * <p>A framing error, or an upstream that ends before the last chunk, fails the next read with a
 * {@link ProtocolException} once the bytes before it are read. Confined to one thread.
 */
final class ChunkedBody extends InputStream {
  /**
   * Thrown by a read when no decoded byte is left and the body has not ended: come back after the
   * next {@link #decode}. Unchecked, so the filters above this stream, which handle
   * {@link IOException} as a failed read, let it through with their state unchanged. Shared, without
   * a stack trace: it is flow control, not an error.
   */
  static final class Drained extends RuntimeException {
    private static final long serialVersionUID = 1L;
    static final Drained INSTANCE = new Drained();

    private Drained() {
      super("no decoded byte yet", null, false, false);
    }
  }

  /** Longest chunk-size line (digits, extensions) and longest trailer section accepted. */
  static final int MAX_LINE = 8 * 1024;

  private static final int SIZE = 0;
  private static final int SIZE_EXTENSION = 1;
  private static final int SIZE_LF = 2;
  private static final int DATA = 3;
  private static final int DATA_CR = 4;
  private static final int DATA_LF = 5;
  private static final int TRAILER_LINE = 6;
  private static final int TRAILER_TEXT = 7;
  private static final int TRAILER_LF = 8;
  private static final int ENDED = 9;

  /** Decoded bytes; small at first (a token is tens of bytes), grown for larger reads. */
  private byte[] data = new byte[1024];
  /** Decoded, unread bytes: [pos, lim). */
  private int pos;
  private int lim;
  private int state = SIZE;
  private long size;
  private int digits;
  private int lineLength;
  private long remaining;
  private @Nullable IOException failure;
  /** Bytes came after the last chunk: the connection is not at a message boundary. */
  private boolean overrun;
  /** A read has returned -1: the reader has the whole body. */
  private boolean endRead;

  /** Decodes the bytes of {@code in} from its position to its limit, which it consumes. */
  void decode(ByteBuffer in) {
    while (in.hasRemaining() && failure == null && state != ENDED) {
      if (state == DATA) {
        int n = (int) Math.min(remaining, in.remaining());
        ensure(n);
        in.get(data, lim, n);
        lim += n;
        remaining -= n;
        if (remaining == 0) {
          state = DATA_CR;
        }
      } else {
        step(in.get());
      }
    }
    if (state == ENDED && in.hasRemaining()) {
      overrun = true;
    }
    in.position(in.limit());
  }

  /** Decodes {@code b[off, off + len)}. */
  void decode(byte[] b, int off, int len) {
    decode(ByteBuffer.wrap(b, off, len));
  }

  /** The connection ended: the body too, which is a failure unless its last chunk came. */
  void upstreamEnded() {
    if (state != ENDED && failure == null) {
      failure = new ProtocolException("the upstream connection ended before the stream's last chunk");
    }
  }

  /**
   * Fails the next read once the bytes before it are read; the first failure stays. Also after the
   * last chunk, until a read has returned -1: a relay that gives up on a sink which has not taken
   * the whole body must not have it read to a clean end.
   */
  void fail(IOException e) {
    if (failure == null && !endRead) {
      failure = e;
    }
  }

  /** Whether the last chunk and its trailers have been decoded. */
  boolean ended() {
    return state == ENDED;
  }

  /**
   * Whether the body ended with nothing after it, so the connection stands where the next answer
   * would start and can serve another request.
   */
  boolean endedCleanly() {
    return state == ENDED && !overrun && failure == null;
  }

  /** Whether a read would not throw {@link Drained}: bytes, the end or a failure are there. */
  boolean readable() {
    return pos < lim || failure != null || state == ENDED;
  }

  private void step(byte c) {
    switch (state) {
      case SIZE -> {
        int v = Character.digit(c, 16);
        if (v >= 0) {
          if (++digits > 15) {
            failure = new ProtocolException("chunk size too large");
          }
          size = size * 16 + v;
        } else if (digits == 0) {
          failure = new ProtocolException("expected a chunk size");
        } else if (c == ';' || c == ' ' || c == '\t') {
          state = SIZE_EXTENSION;
        } else if (c == '\r') {
          state = SIZE_LF;
        } else if (c == '\n') {
          sizeRead();
        } else {
          failure = new ProtocolException("malformed chunk size");
        }
      }
      case SIZE_EXTENSION -> {
        if (c == '\n') {
          sizeRead();
        } else if (++lineLength > MAX_LINE) {
          failure = new ProtocolException("chunk extension too long");
        }
      }
      case SIZE_LF -> {
        if (c == '\n') {
          sizeRead();
        } else {
          failure = new ProtocolException("malformed chunk size line");
        }
      }
      case DATA_CR -> {
        if (c == '\r') {
          state = DATA_LF;
        } else if (c == '\n') {
          state = SIZE;
        } else {
          failure = new ProtocolException("chunk longer than its size");
        }
      }
      case DATA_LF -> {
        if (c == '\n') {
          state = SIZE;
        } else {
          failure = new ProtocolException("chunk longer than its size");
        }
      }
      case TRAILER_LINE -> {
        if (c == '\n') {
          state = ENDED;
        } else if (c == '\r') {
          state = TRAILER_LF;
        } else {
          state = TRAILER_TEXT;
          trailerByte();
        }
      }
      case TRAILER_LF -> {
        if (c == '\n') {
          state = ENDED;
        } else {
          failure = new ProtocolException("malformed trailer section");
        }
      }
      case TRAILER_TEXT -> {
        if (c == '\n') {
          state = TRAILER_LINE;
        } else {
          trailerByte();
        }
      }
      default -> throw new IllegalStateException("state " + state);
    }
  }

  private void trailerByte() {
    if (++lineLength > MAX_LINE) {
      failure = new ProtocolException("trailer section too long");
    }
  }

  private void sizeRead() {
    lineLength = 0;
    digits = 0;
    if (size == 0) {
      state = TRAILER_LINE;
    } else {
      remaining = size;
      size = 0;
      state = DATA;
    }
  }

  private void ensure(int n) {
    if (pos == lim) {
      pos = 0;
      lim = 0;
    }
    if (lim + n > data.length) {
      if (lim - pos + n <= data.length) {
        System.arraycopy(data, pos, data, 0, lim - pos);
      } else {
        // copyOfRange's end is an index into data: the new length is end - pos
        data = Arrays.copyOfRange(data, pos, pos + Math.max(data.length * 2, lim - pos + n));
      }
      lim -= pos;
      pos = 0;
    }
  }

  @Override
  public int read() throws IOException {
    byte[] one = new byte[1];
    int n = read(one, 0, 1);
    return n < 0 ? -1 : one[0] & 0xff;
  }

  /**
   * Decoded bytes; -1 once the body ended; the failure, once the bytes before it are read;
   * otherwise {@link Drained}.
   */
  @Override
  public int read(byte[] b, int off, int len) throws IOException {
    if (len == 0) {
      return 0;
    }
    if (pos < lim) {
      int n = Math.min(len, lim - pos);
      System.arraycopy(data, pos, b, off, n);
      pos += n;
      return n;
    }
    if (failure != null) {
      throw failure;
    }
    if (state == ENDED) {
      endRead = true;
      return -1;
    }
    throw Drained.INSTANCE;
  }

  @Override
  public int available() {
    return lim - pos;
  }
}
