package dev.keyway.ollama.testkit;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.security.MessageDigest;
import java.util.List;

/**
 * {@code HEAD /api/blobs/:digest} and {@code POST /api/blobs/:digest}. An upload is hashed as it
 * is read, in small buffers: only its digest and size are kept, never its bytes.
 */
final class BlobRoutes {
  private static final byte[] EMPTY = new byte[0];
  private static final int BUFFER = 64 * 1024;

  private final ModelStore store;

  BlobRoutes(ModelStore store) {
    this.store = store;
  }

  /** 200 when stored, 404 (no body, as it is HEAD) when not; 400 for a malformed digest. */
  void head(Exchange ex, String digest) throws IOException {
    if (ModelStore.blobKey(digest) == null) {
      ex.error(400, "invalid digest format");
    } else if (store.hasBlob(digest)) {
      ex.respond(200, null, EMPTY, List.of());
    } else {
      ex.error(404, "blob \"" + digest + "\" not found");
    }
  }

  /**
   * 201 when stored, 200 when the blob was there already (the body is not read, and is discarded
   * afterwards), 400 when the bytes hash to another digest. As in Ollama, the digest in the path
   * must be exactly {@code sha256:<lowercase hex>} for an upload to match.
   */
  void upload(Exchange ex, String digest) throws IOException {
    if (ModelStore.blobKey(digest) == null) {
      ex.error(400, "invalid digest format");
      return;
    }
    if (store.hasBlob(digest)) {
      ex.respond(200, null, EMPTY, List.of());
      return;
    }
    BodyStream streamed = ex.request.streamedBody;
    InputStream body = streamed != null ? streamed : new ByteArrayInputStream(ex.request.body);
    MessageDigest sha256 = ModelStore.newSha256();
    byte[] buffer = new byte[BUFFER];
    long size = 0;
    for (int n; (n = body.read(buffer)) >= 0; ) {
      sha256.update(buffer, 0, n);
      size += n;
    }
    String actual = "sha256:" + ModelStore.hex(sha256.digest());
    if (!actual.equals(digest)) {
      ex.error(400, "digest mismatch, expected \"" + digest + "\", got \"" + actual + "\"");
      return;
    }
    store.putBlob(digest, size);
    ex.respond(201, null, EMPTY, List.of());
  }
}
