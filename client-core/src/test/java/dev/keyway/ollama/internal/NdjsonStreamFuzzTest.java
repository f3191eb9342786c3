package dev.keyway.ollama.internal;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.keyway.ollama.OllamaException;
import dev.keyway.ollama.model.ChatResponse;
import dev.keyway.ollama.model.GenerateResponse;
import okhttp3.Call;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Protocol;
import okhttp3.Request;
import okhttp3.Response;
import okhttp3.ResponseBody;

/**
 * Coverage-guided fuzzing of the NDJSON stream decoder: any bytes as a streamed chat or generate
 * body must give chunks or one of Keyway's typed exceptions; anything else (a
 * NullPointerException, an IllegalArgumentException, a hang) is a finding. The default build
 * replays the committed inputs under {@code NdjsonStreamFuzzTestInputs}; the {@code fuzz-ndjson}
 * surefire execution fuzzes for the time below.
 */
class NdjsonStreamFuzzTest {
  private static final OkHttpClient HTTP = new OkHttpClient();
  private static final Request REQUEST = new Request.Builder().url("http://127.0.0.1:11434/api/chat").build();
  private static final String KEY = "kw-secret-fuzz";
  private static final MediaType NDJSON = MediaType.get("application/x-ndjson");

  @FuzzTest(maxDuration = "30s")
  void anyBodyGivesChunksOrATypedError(byte[] body) {
    if (body.length == 0) {
      return;
    }
    boolean chat = (body[0] & 1) == 0;
    Call call = HTTP.newCall(REQUEST);
    Response response = new Response.Builder().request(REQUEST).protocol(Protocol.HTTP_1_1).code(200).message("OK")
        .body(ResponseBody.create(java.util.Arrays.copyOfRange(body, 1, body.length), NDJSON)).build();
    DefaultOllamaClient.Exchange exchange = new DefaultOllamaClient.Exchange(call, response);
    HttpErrors errors = new HttpErrors("X-API-Key", new Redactor(() -> KEY));
    try (NdjsonStream<?> stream = chat
        ? new NdjsonStream<>(exchange, new ChatChunkDecoder(), new Accumulator.Chat(Long.MAX_VALUE), errors, new Redactor(() -> KEY), CallTracker.NONE)
        : new NdjsonStream<>(exchange, new GenerateChunkDecoder(), new Accumulator.Generate(Long.MAX_VALUE), errors, new Redactor(() -> KEY), CallTracker.NONE)) {
      for (Object chunk : stream) {
        if (chunk == null) {
          throw new AssertionError("a null chunk reached the caller");
        }
      }
      if (stream.result() == null) {
        throw new AssertionError("a finished stream without a result");
      }
    } catch (OllamaException expected) {
      java.io.StringWriter trace = new java.io.StringWriter();
      expected.printStackTrace(new java.io.PrintWriter(trace));
      if (expected.getMessage() == null || trace.toString().contains(KEY)) {
        throw new AssertionError("a typed error without a message, or with the key in its stack trace");
      }
    }
  }
}
