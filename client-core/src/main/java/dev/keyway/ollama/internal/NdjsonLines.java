package dev.keyway.ollama.internal;

import java.io.IOException;
import okio.BufferedSource;
import org.jspecify.annotations.Nullable;

/**
 * Reads one NDJSON line as soon as its newline has arrived, of any length. A last line without a
 * newline is returned as it is. Shared by the client's streams and the starter's gateway.
 */
public final class NdjsonLines {
  private NdjsonLines() {}

  /**
   * The next line, with its {@code \n} when {@code keepNewline} (and it had one), or {@code null}
   * at the end of the body.
   */
  public static byte @Nullable [] next(BufferedSource source, boolean keepNewline) throws IOException {
    long newline = source.indexOf((byte) '\n');
    if (newline == -1) {
      long rest = source.getBuffer().size();
      return rest == 0 ? null : source.readByteArray(rest);
    }
    if (keepNewline) {
      return source.readByteArray(newline + 1);
    }
    byte[] line = source.readByteArray(newline);
    source.skip(1);
    return line;
  }
}
