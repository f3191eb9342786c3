package dev.keyway.ollama;

import dev.keyway.ollama.model.CreateRequest;
import dev.keyway.ollama.model.KeepAlive;
import dev.keyway.ollama.model.ModelSummary;
import dev.keyway.ollama.model.Progress;
import java.nio.file.Path;
import java.util.List;

/**
 * Model management on one server: list, pull, push, create, copy, delete, blobs, load and unload.
 * Obtained from {@link OllamaClient#models()}; every call goes through the client's credential,
 * timeouts, retries and error mapping.
 *
 * <pre>{@code
 * try (OllamaStream<Progress> pull = client.models().pullStream("llama3.2")) {
 *   for (Progress p : pull) {
 *     System.out.printf("%s %.0f%%%n", p.status(), p.percent());
 *   }
 * }
 * }</pre>
 *
 * <p>Pull, push and create report progress as {@link Progress} lines, streamed like a chat: a
 * blocking {@link OllamaStream}, an asynchronous {@link StreamHandler}, or (without a
 * {@code Stream} suffix) a call that waits for the last line. A transfer ends with status
 * {@value Progress#SUCCESS}; a stream that ends without it, or an {@code {"error":…}} line, throws
 * {@link OllamaStreamException}. Ollama's management endpoints are for operators: never expose
 * them to a browser (Keyway's gateway does not).
 */
public interface OllamaModels {

  /**
   * These operations with per-call timeouts and retries: every call made through the returned
   * view uses {@code options}, for example a call timeout on a pull, or {@code maxAttempts(1)}.
   * This object is unchanged.
   */
  OllamaModels withOptions(RequestOptions options);

  /** The models the server has ({@code GET /api/tags}); the same as {@link OllamaClient#listModels()}. */
  List<ModelSummary> list();

  /**
   * Downloads a model from its registry ({@code POST /api/pull}) and waits until it is done.
   *
   * @return the last line, status {@value Progress#SUCCESS}
   */
  Progress pull(String model);

  /** Downloads a model, streaming its progress; see the class documentation. */
  OllamaStream<Progress> pullStream(String model);

  /** Downloads a model on a background thread, reporting progress to {@code handler}. */
  StreamHandle<Progress> pullStream(String model, StreamHandler<Progress> handler);

  /**
   * Uploads a model to its registry ({@code POST /api/push}), named
   * {@code <namespace>/<model>:<tag>}, and waits until it is done. The server's key must be
   * registered with ollama.com.
   */
  Progress push(String model);

  /** Uploads a model, streaming its progress. */
  OllamaStream<Progress> pushStream(String model);

  /** Uploads a model on a background thread, reporting progress to {@code handler}. */
  StreamHandle<Progress> pushStream(String model, StreamHandler<Progress> handler);

  /** Creates a model ({@code POST /api/create}) and waits until it is done. */
  Progress create(CreateRequest request);

  /** Creates a model, streaming its progress. */
  OllamaStream<Progress> createStream(CreateRequest request);

  /** Creates a model on a background thread, reporting progress to {@code handler}. */
  StreamHandle<Progress> createStream(CreateRequest request, StreamHandler<Progress> handler);

  /**
   * Copies a model under a new name ({@code POST /api/copy}).
   *
   * @throws OllamaModelNotFoundException if {@code source} does not exist
   */
  void copy(String source, String destination);

  /**
   * Deletes a model and any layers only it used ({@code DELETE /api/delete}).
   *
   * @throws OllamaModelNotFoundException if it does not exist
   */
  void delete(String model);

  /**
   * Whether the server already holds this blob ({@code HEAD /api/blobs/:digest}).
   *
   * @param digest {@code sha256:} and 64 hex digits
   */
  boolean blobExists(String digest);

  /**
   * Uploads a file as a blob ({@code POST /api/blobs/:digest}) for {@link CreateRequest} files or
   * adapters, unless the server already has it. The file is read twice, never whole into memory:
   * once to compute its SHA-256 (the URL needs it), then streamed to the server while the digest is
   * computed again; a file that changed in between fails the upload.
   *
   * @return the digest to use in {@link CreateRequest.Builder#addFile}: {@code sha256:<64 hex>}
   * @throws java.io.UncheckedIOException if the file cannot be read
   */
  String uploadBlob(Path file);

  /**
   * Loads a model into memory now ({@code /api/generate} with no prompt), so that the first real
   * request does not wait for it, and keeps it for the server's default time. For an embedding
   * model, call {@code embed} with no input instead.
   */
  void load(String model);

  /** {@link #load(String)}, keeping the model loaded for {@code keepAlive}. */
  void load(String model, KeepAlive keepAlive);

  /** Unloads a model from memory now ({@code keep_alive: 0}). */
  void unload(String model);
}
