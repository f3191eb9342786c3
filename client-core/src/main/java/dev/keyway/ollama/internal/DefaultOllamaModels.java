package dev.keyway.ollama.internal;

import dev.keyway.ollama.OllamaHttpException;
import dev.keyway.ollama.OllamaModels;
import dev.keyway.ollama.OllamaStream;
import dev.keyway.ollama.RequestOptions;
import dev.keyway.ollama.StreamHandle;
import dev.keyway.ollama.StreamHandler;
import dev.keyway.ollama.model.CreateRequest;
import dev.keyway.ollama.model.GenerateRequest;
import dev.keyway.ollama.model.KeepAlive;
import dev.keyway.ollama.model.ModelSummary;
import dev.keyway.ollama.model.Progress;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import okhttp3.Request;
import okhttp3.RequestBody;
import org.jspecify.annotations.Nullable;

/** {@link OllamaModels} on top of {@link DefaultOllamaClient}'s transport. */
final class DefaultOllamaModels implements OllamaModels {
  private static final okhttp3.MediaType JSON = okhttp3.MediaType.get("application/json");

  private final DefaultOllamaClient client;
  private final RequestOptions options;

  DefaultOllamaModels(DefaultOllamaClient client, RequestOptions options) {
    this.client = client;
    this.options = options;
  }

  @Override
  public OllamaModels withOptions(RequestOptions options) {
    return new DefaultOllamaModels(client, Objects.requireNonNull(options, "options"));
  }

  @Override
  public List<ModelSummary> list() {
    return client.listModels(options);
  }

  @Override
  public Progress pull(String model) {
    return waitFor(pullStream(model));
  }

  @Override
  public OllamaStream<Progress> pullStream(String model) {
    return transfer("api/pull", model, new Cancellation());
  }

  @Override
  public StreamHandle<Progress> pullStream(String model, StreamHandler<Progress> handler) {
    return transferAsync("api/pull", model, handler);
  }

  @Override
  public Progress push(String model) {
    return waitFor(pushStream(model));
  }

  @Override
  public OllamaStream<Progress> pushStream(String model) {
    return transfer("api/push", model, new Cancellation());
  }

  @Override
  public StreamHandle<Progress> pushStream(String model, StreamHandler<Progress> handler) {
    return transferAsync("api/push", model, handler);
  }

  private static Progress waitFor(OllamaStream<Progress> stream) {
    try (stream) {
      return stream.result();
    }
  }

  private StreamHandle<Progress> transferAsync(String path, String model, StreamHandler<Progress> handler) {
    DefaultOllamaClient.requireModel(model, path.substring(4));
    return client.async(c -> transfer(path, model, c), handler);
  }

  private OllamaStream<Progress> transfer(String path, String model, Cancellation cancellation) {
    DefaultOllamaClient.requireModel(model, path.substring(4));
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("model", model);
    body.put("stream", true);
    return client.transferStream(path, model, client.json(body, true), options, cancellation);
  }

  @Override
  public Progress create(CreateRequest request) {
    return waitFor(createStream(request));
  }

  @Override
  public OllamaStream<Progress> createStream(CreateRequest request) {
    return create(request, new Cancellation());
  }

  @Override
  public StreamHandle<Progress> createStream(CreateRequest request, StreamHandler<Progress> handler) {
    Objects.requireNonNull(request, "request");
    return client.async(c -> create(request, c), handler);
  }

  private OllamaStream<Progress> create(CreateRequest request, Cancellation cancellation) {
    Objects.requireNonNull(request, "request");
    return client.transferStream("api/create", request.model(), client.json(request, true), options,
        cancellation);
  }

  @Override
  public void copy(String source, String destination) {
    DefaultOllamaClient.requireModel(source, "copy source");
    DefaultOllamaClient.requireModel(destination, "copy destination");
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("source", source);
    body.put("destination", destination);
    Request request = client.request("api/copy")
        .post(RequestBody.create(client.json(body, false), JSON)).build();
    client.sendForStatus(request, "api/copy", source, options);
  }

  @Override
  public void delete(String model) {
    DefaultOllamaClient.requireModel(model, "delete");
    Request request = client.request("api/delete")
        .delete(RequestBody.create(client.json(Map.of("model", model), false), JSON)).build();
    client.sendForStatus(request, "api/delete", model, options);
  }

  @Override
  public boolean blobExists(String digest) {
    Request request = client.request("api/blobs/" + Blobs.check(digest)).head().build();
    try {
      client.sendForStatus(request, "api/blobs", null, options);
      return true;
    } catch (OllamaHttpException e) {
      if (e.status() == 404) {
        return false;
      }
      throw e;
    }
  }

  @Override
  public String uploadBlob(Path file) {
    Objects.requireNonNull(file, "file");
    String digest = Blobs.sha256(file);
    if (blobExists(digest)) {
      return digest;
    }
    Request request = client.request("api/blobs/" + digest)
        .post(Blobs.body(file, digest)).build();
    client.sendForStatus(request, "api/blobs", null, options);
    return digest;
  }

  @Override
  public void load(String model) {
    generateEmpty(model, null);
  }

  @Override
  public void load(String model, KeepAlive keepAlive) {
    generateEmpty(model, Objects.requireNonNull(keepAlive, "keepAlive"));
  }

  @Override
  public void unload(String model) {
    generateEmpty(model, KeepAlive.unloadNow());
  }

  /** An empty generate loads the model; {@code keepAlive} null keeps the server's default. */
  private void generateEmpty(String model, @Nullable KeepAlive keepAlive) {
    DefaultOllamaClient.requireModel(model, "load/unload");
    GenerateRequest.Builder request = GenerateRequest.builder().model(model);
    if (keepAlive != null) {
      request.keepAlive(keepAlive);
    }
    client.generate(request.build(), options);
  }
}
