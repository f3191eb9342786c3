package dev.keyway.ollama.internal;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.regex.Pattern;
import okhttp3.MediaType;
import okhttp3.RequestBody;
import okio.BufferedSink;
import okio.Okio;
import okio.Source;

/** Blob digests and uploads: files are streamed, never read whole into memory. */
final class Blobs {
  private static final Pattern DIGEST = Pattern.compile("sha256[:-][0-9a-fA-F]{64}");
  private static final MediaType OCTETS = MediaType.get("application/octet-stream");

  private Blobs() {}

  static String check(String digest) {
    if (digest == null || !DIGEST.matcher(digest).matches()) {
      throw new IllegalArgumentException(
          "A blob digest is \"sha256:\" followed by 64 hex digits, as uploadBlob returns it");
    }
    return digest;
  }

  /** {@code sha256:<hex>} of the file's bytes. */
  static String sha256(Path file) {
    MessageDigest sha = newSha256();
    try (InputStream in = new DigestInputStream(Files.newInputStream(file), sha)) {
      in.transferTo(OutputStream.nullOutputStream());
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot read " + file + " to upload it: " + e.getMessage(), e);
    }
    return "sha256:" + HexFormat.of().formatHex(sha.digest());
  }

  /**
   * The file as a request body, hashed again as it is sent: a file changed since {@link #sha256}
   * fails the write instead of uploading bytes that do not match the digest in the URL.
   */
  static RequestBody body(Path file, String digest) {
    long length;
    try {
      length = Files.size(file);
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot read " + file + " to upload it: " + e.getMessage(), e);
    }
    return new RequestBody() {
      @Override
      public MediaType contentType() {
        return OCTETS;
      }

      @Override
      public long contentLength() {
        return length;
      }

      @Override
      public void writeTo(BufferedSink sink) throws IOException {
        MessageDigest sha = newSha256();
        try (Source source = Okio.source(new DigestInputStream(Files.newInputStream(file), sha))) {
          long written = sink.writeAll(source);
          sink.flush();
          String sent = "sha256:" + HexFormat.of().formatHex(sha.digest());
          if (written != length || !sent.equalsIgnoreCase(digest)) {
            throw new IOException(file.getFileName() + " changed while it was being uploaded"
                + " (its SHA-256 no longer matches " + digest + "); upload it again");
          }
        }
      }
    };
  }

  private static MessageDigest newSha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is required of every JVM", e);
    }
  }
}
