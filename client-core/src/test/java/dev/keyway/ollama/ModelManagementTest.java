package dev.keyway.ollama;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.keyway.ollama.model.CreateRequest;
import dev.keyway.ollama.model.Fixtures;
import dev.keyway.ollama.model.KeepAlive;
import dev.keyway.ollama.model.Message;
import dev.keyway.ollama.model.ModelOptions;
import dev.keyway.ollama.model.Progress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import okhttp3.mockwebserver.MockResponse;
import okhttp3.mockwebserver.RecordedRequest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** pull, push, create, copy, delete, blobs, load and unload, against recorded payloads. */
class ModelManagementTest extends MockServerTest {
  @Override
  OllamaClient client(OllamaClient.Builder builder) {
    return builder.bearerToken("kw-secret-m-1").maxRetries(0).build();
  }

  @Override
  String basePath() {
    return "/ollama";
  }

  RecordedRequest taken(String method, String path) throws InterruptedException {
    RecordedRequest r = server.takeRequest(5, TimeUnit.SECONDS);
    assertThat(r).isNotNull();
    assertThat(r.getMethod()).isEqualTo(method);
    assertThat(r.getPath()).isEqualTo("/ollama" + path);
    assertThat(r.getHeader("Authorization")).isEqualTo("Bearer kw-secret-m-1");
    return r;
  }

  @Test
  void pullStreamDeliversEveryProgressLineInOrder() throws Exception {
    server.enqueue(ndjson(Fixtures.read("pull-stream.ndjson")));
    List<Progress> lines = new ArrayList<>();
    try (OllamaStream<Progress> pull = client.models().pullStream("llama3.2")) {
      pull.forEach(lines::add);
    }

    assertThat(lines).hasSize(11);
    assertThat(lines.get(0).status()).isEqualTo("pulling manifest");
    assertThat(lines.get(0).percent()).isEqualTo(-1);
    assertThat(lines.get(1).completed()).isNull();
    assertThat(lines.get(1).percent()).isZero();
    assertThat(lines.get(3).digest()).startsWith("sha256:dde5aa3fc5ff");
    assertThat(lines.get(3).percent()).isBetween(49.9, 50.1);
    assertThat(lines.get(4).percent()).isEqualTo(100);
    assertThat(lines.get(10).isSuccess()).isTrue();
    assertThat(JSON.readTree(taken("POST", "/api/pull").getBody().readUtf8()))
        .isEqualTo(JSON.readTree("{\"model\":\"llama3.2\",\"stream\":true}"));
  }

  @Test
  void pullWaitsForSuccess() throws Exception {
    server.enqueue(ndjson(Fixtures.read("pull-stream.ndjson")));
    assertThat(client.models().pull("llama3.2").isSuccess()).isTrue();
  }

  @Test
  void pullOfAnUnknownModelFailsWithTheServersMessage() {
    server.enqueue(ndjson(Fixtures.read("pull-stream-error-midstream.ndjson")));
    assertThatThrownBy(() -> client.models().pull("does-not-exist"))
        .isInstanceOfSatisfying(OllamaStreamException.class, e -> {
          assertThat(e.serverMessage()).isEqualTo("pull model manifest: file does not exist");
          assertThat(e.chunksReceived()).isEqualTo(1);
        });
  }

  @Test
  void aTransferThatStopsBeforeSuccessIsAnError() {
    server.enqueue(ndjson("{\"status\":\"pulling manifest\"}\n{\"status\":\"verifying sha256 digest\"}\n"));
    assertThatThrownBy(() -> client.models().pull("llama3.2"))
        .isInstanceOf(OllamaStreamException.class)
        .hasMessageContaining("ended after 2 chunk(s) without a \"status\": \"success\" line");
  }

  @Test
  void pullAsyncReportsProgressAndCompletesWithSuccess() throws Exception {
    server.enqueue(ndjson(Fixtures.read("pull-stream.ndjson")));
    List<Progress> seen = new CopyOnWriteArrayList<>();
    StreamHandle<Progress> handle = client.models().pullStream("llama3.2", seen::add);

    Progress last = handle.future().get(5, TimeUnit.SECONDS);
    assertThat(last.isSuccess()).isTrue();
    assertThat(seen).hasSize(11);
  }

  @Test
  void pushStreamsProgressToSuccess() throws Exception {
    server.enqueue(ndjson(Fixtures.read("push-stream.ndjson")));
    List<String> statuses = new ArrayList<>();
    try (OllamaStream<Progress> push = client.models().pushStream("mattw/pygmalion:latest")) {
      push.forEach(p -> statuses.add(p.status()));
    }
    assertThat(statuses).first().isEqualTo("retrieving manifest");
    assertThat(statuses).last().isEqualTo("success");
    assertThat(JSON.readTree(taken("POST", "/api/push").getBody().readUtf8()))
        .isEqualTo(JSON.readTree("{\"model\":\"mattw/pygmalion:latest\",\"stream\":true}"));
  }

  @Test
  void pushWaitsForSuccess() throws Exception {
    server.enqueue(ndjson(Fixtures.read("push-stream.ndjson")));
    assertThat(client.models().push("mattw/pygmalion:latest").isSuccess()).isTrue();
  }

  @Test
  void createFromAModelSendsTheDocumentedBody() throws Exception {
    server.enqueue(ndjson(Fixtures.read("create-stream.ndjson")));
    Progress done = client.models().create(CreateRequest.builder().model("mario").from("llama3.2")
        .system("You are Mario from Super Mario Bros.")
        .parameters(ModelOptions.builder().temperature(0.7).stop(List.of("<|eot_id|>")).build())
        .build());

    assertThat(done.isSuccess()).isTrue();
    var sent = (com.fasterxml.jackson.databind.node.ObjectNode)
        JSON.readTree(taken("POST", "/api/create").getBody().readUtf8());
    assertThat(sent.remove("stream").asBoolean()).isTrue();
    assertThat(sent).isEqualTo(JSON.readTree(Fixtures.read("create-request.json")));
  }

  @Test
  void createFromFilesStreamsAsync() throws Exception {
    server.enqueue(ndjson(Fixtures.read("create-stream.ndjson")));
    String digest = "sha256:432f310a77f4650a88d0fd59ecdd7cebed8d684bafea53cbff0473542964f0c3";
    CreateRequest request = CreateRequest.builder().model("my-gguf-model").addFile("test.gguf", digest).build();
    List<Progress> seen = new CopyOnWriteArrayList<>();

    Progress last = client.models().createStream(request, seen::add).future().get(5, TimeUnit.SECONDS);

    assertThat(last.isSuccess()).isTrue();
    assertThat(seen).hasSize(7);
    var sent = (com.fasterxml.jackson.databind.node.ObjectNode)
        JSON.readTree(taken("POST", "/api/create").getBody().readUtf8());
    sent.remove("stream");
    assertThat(sent).isEqualTo(JSON.readTree(Fixtures.read("create-request-files.json")));
  }

  @Test
  void createRefusesWhatOllamaWould() {
    assertThatThrownBy(() -> CreateRequest.builder().model("x").build())
        .hasMessageContaining("needs from(existing model) or files");
    assertThatThrownBy(() -> CreateRequest.builder().model("x").addFile("a.gguf", "/tmp/a.gguf").build())
        .hasMessageContaining("\"sha256:\" followed by 64 hex digits");
    assertThatThrownBy(() -> CreateRequest.builder().from("llama3.2").build())
        .hasMessageContaining("needs a model name");
  }

  @Test
  void copyAndDeleteSendTheirBodiesAndAcceptAnEmpty200() throws Exception {
    server.enqueue(new MockResponse());
    server.enqueue(new MockResponse());
    client.models().copy("llama3.2", "llama3-backup");
    client.models().delete("llama3:13b");

    assertThat(JSON.readTree(taken("POST", "/api/copy").getBody().readUtf8()))
        .isEqualTo(JSON.readTree(Fixtures.read("copy-request.json")));
    RecordedRequest delete = taken("DELETE", "/api/delete");
    assertThat(JSON.readTree(delete.getBody().readUtf8()))
        .isEqualTo(JSON.readTree(Fixtures.read("delete-request.json")));
  }

  @Test
  void copyOfAnUnknownModelIsModelNotFound() {
    server.enqueue(json(Fixtures.read("error-404-copy-source.json")).setResponseCode(404));
    assertThatThrownBy(() -> client.models().copy("llama3.2", "b"))
        .isInstanceOfSatisfying(OllamaModelNotFoundException.class,
            e -> assertThat(e.model()).isEqualTo("llama3.2"));
  }

  @Test
  void deleteOfAnUnknownModelIsModelNotFound() {
    server.enqueue(json("{\"error\":\"model 'gone' not found\"}").setResponseCode(404));
    assertThatThrownBy(() -> client.models().delete("gone"))
        .isInstanceOf(OllamaModelNotFoundException.class);
  }

  @Test
  void blobExistsIsAHeadRequest() throws Exception {
    String digest = "sha256:29fdb92e57cf0827ded04ae6461b5931d01fa595843f55d36f5b275a52087dd2";
    server.enqueue(new MockResponse());
    server.enqueue(new MockResponse().setResponseCode(404));
    assertThat(client.models().blobExists(digest)).isTrue();
    assertThat(client.models().blobExists(digest)).isFalse();
    taken("HEAD", "/api/blobs/" + digest);
    taken("HEAD", "/api/blobs/" + digest);
    assertThatThrownBy(() -> client.models().blobExists("29fdb92e"))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void uploadBlobStreamsTheFileUnderItsSha256(@TempDir Path dir) throws Exception {
    byte[] bytes = new byte[3 * 1024 * 1024 + 17];
    for (int i = 0; i < bytes.length; i++) {
      bytes[i] = (byte) (i * 31);
    }
    Path file = Files.write(dir.resolve("model.gguf"), bytes);
    String expected = "sha256:" + HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    server.enqueue(new MockResponse().setResponseCode(404)); // HEAD: not there yet
    server.enqueue(new MockResponse().setResponseCode(201));

    assertThat(client.models().uploadBlob(file)).isEqualTo(expected);

    taken("HEAD", "/api/blobs/" + expected);
    RecordedRequest post = taken("POST", "/api/blobs/" + expected);
    assertThat(post.getHeader("Content-Type")).isEqualTo("application/octet-stream");
    assertThat(post.getHeader("Content-Length")).isEqualTo(String.valueOf(bytes.length));
    assertThat(post.getBody().readByteArray()).isEqualTo(bytes);
  }

  @Test
  void uploadBlobSkipsABlobTheServerHas(@TempDir Path dir) throws Exception {
    Path file = Files.writeString(dir.resolve("adapter.bin"), "lora");
    server.enqueue(new MockResponse()); // HEAD: present
    client.models().uploadBlob(file);
    taken("HEAD", "/api/blobs/sha256:" + HexFormat.of().formatHex(
        MessageDigest.getInstance("SHA-256").digest("lora".getBytes(StandardCharsets.UTF_8))));
    assertThat(server.getRequestCount()).isEqualTo(1);
  }

  @Test
  void uploadBlobMismatchIsAnHttpErrorQuotingBothDigests(@TempDir Path dir) throws Exception {
    Path file = Files.writeString(dir.resolve("x.gguf"), "x");
    server.enqueue(new MockResponse().setResponseCode(404));
    server.enqueue(json(Fixtures.read("error-400-digest-mismatch.json")).setResponseCode(400));
    assertThatThrownBy(() -> client.models().uploadBlob(file))
        .isInstanceOfSatisfying(OllamaHttpException.class,
            e -> assertThat(e.serverMessage()).startsWith("digest mismatch, expected"));
  }

  @Test
  void uploadBlobOfAMissingFileNamesIt(@TempDir Path dir) {
    assertThatThrownBy(() -> client.models().uploadBlob(dir.resolve("absent.gguf")))
        .isInstanceOf(java.io.UncheckedIOException.class).hasMessageContaining("absent.gguf");
    assertThat(server.getRequestCount()).isZero();
  }

  @Test
  void loadAndUnloadAreEmptyGenerates() throws Exception {
    server.enqueue(json(Fixtures.read("generate-load.json")));
    server.enqueue(json(Fixtures.read("generate-load.json")));
    server.enqueue(json(Fixtures.read("generate-unload.json")));
    client.models().load("llama3.2");
    client.models().load("llama3.2", KeepAlive.of(Duration.ofHours(1)));
    client.models().unload("llama3.2");

    assertThat(JSON.readTree(taken("POST", "/api/generate").getBody().readUtf8()))
        .isEqualTo(JSON.readTree("{\"model\":\"llama3.2\",\"stream\":false}"));
    assertThat(JSON.readTree(taken("POST", "/api/generate").getBody().readUtf8()))
        .isEqualTo(JSON.readTree("{\"model\":\"llama3.2\",\"keep_alive\":3600,\"stream\":false}"));
    assertThat(JSON.readTree(taken("POST", "/api/generate").getBody().readUtf8()))
        .isEqualTo(JSON.readTree("{\"model\":\"llama3.2\",\"keep_alive\":0,\"stream\":false}"));
  }

  @Test
  void progressToStringAndPercentAreSafeOnOddLines() {
    assertThat(new Progress(null, null, 0L, 5L).percent()).isEqualTo(-1);
    assertThat(new Progress("x", null, 10L, 50L).percent()).isEqualTo(100);
    assertThat(new Progress(null, null, null, null).status()).isEmpty();
  }

  @Test
  void messagesMayStartAConversationModel() throws Exception {
    server.enqueue(ndjson("{\"status\":\"success\"}\n"));
    client.models().create(CreateRequest.builder().model("m").from("llama3.2")
        .addMessage(Message.user("hi")).addMessage(Message.assistant("hello")).quantize("q4_K_M").build());
    var sent = JSON.readTree(taken("POST", "/api/create").getBody().readUtf8());
    assertThat(sent.get("messages")).hasSize(2);
    assertThat(sent.get("quantize").asText()).isEqualTo("q4_K_M");
  }
}
