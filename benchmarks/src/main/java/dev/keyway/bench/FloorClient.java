package dev.keyway.bench;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import java.io.IOException;
import java.io.UncheckedIOException;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;

/**
 * The physical floor: OkHttp with its defaults (the same OkHttp as Keyway; its 10 s read timeout
 * arms Okio's watchdog around every socket read) and one Jackson {@link JsonParser} over the
 * body, reading model, created_at, message.role, message.content and done of each line into
 * locals, and nothing else: no line strings, no objects, no error check.
 *
 * <p>{@code floor} makes each string field a {@code String} ({@code getText()}), the plain way.
 * {@code floor-min} makes only the content a {@code String} and reads model, created_at and role
 * where they lie in the parser's buffer ({@code getTextCharacters()}), which is as little as a
 * client can allocate and still hand user code its token (the style of PERF-ANCHORS.md's floor).
 */
final class FloorClient implements BenchClient {
  private static final MediaType JSON = MediaType.get("application/json");
  private static final JsonFactory FACTORY = new JsonFactory();

  private final OkHttpClient http = new OkHttpClient();
  private final String url;
  private final boolean minimal;

  FloorClient(String baseUrl, boolean minimal) {
    this.url = baseUrl + "/api/chat";
    this.minimal = minimal;
  }

  private String text(JsonParser p, int[] sink) throws IOException {
    if (minimal) {
      char[] chars = p.getTextCharacters();
      sink[0] += chars[p.getTextOffset()] + p.getTextLength();
      return "";
    }
    return p.getText();
  }

  private Request request(String model, boolean stream) {
    return new Request.Builder().url(url).header("X-API-Key", KEY)
        .post(RequestBody.create(BenchClient.requestJson(model, stream), JSON)).build();
  }

  @Override
  public void stream(String model, Listener listener) {
    try (Response response = http.newCall(request(model, true)).execute()) {
      if (!response.isSuccessful()) {
        throw new IllegalStateException("HTTP " + response.code());
      }
      int[] read = new int[1];
      try (JsonParser p = FACTORY.createParser(response.body().byteStream())) {
        while (p.nextToken() == JsonToken.START_OBJECT) {
          String model1 = null;
          String createdAt = null;
          String role = null;
          String content = null;
          boolean done = false;
          while (p.nextToken() == JsonToken.FIELD_NAME) {
            String name = p.currentName();
            p.nextToken();
            switch (name) {
              case "model":
                model1 = text(p, read);
                break;
              case "created_at":
                createdAt = text(p, read);
                break;
              case "message":
                while (p.nextToken() == JsonToken.FIELD_NAME) {
                  String field = p.currentName();
                  p.nextToken();
                  if (field.equals("role")) {
                    role = text(p, read);
                  } else if (field.equals("content")) {
                    content = p.getText();
                  } else {
                    p.skipChildren();
                  }
                }
                break;
              case "done":
                done = p.getBooleanValue();
                break;
              default:
                p.skipChildren();
            }
          }
          if (done) {
            break;
          }
          if (model1 == null || createdAt == null || role == null || content == null) {
            throw new IllegalStateException("incomplete chunk");
          }
          listener.onToken(content);
        }
      }
      if (read[0] == 42) {
        listener.onToken(""); // never: keeps the minimal reads alive for the JIT
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    listener.onDone();
  }

  @Override
  public String chat(String model) {
    try (Response response = http.newCall(request(model, false)).execute()) {
      if (!response.isSuccessful()) {
        throw new IllegalStateException("HTTP " + response.code());
      }
      String content = null;
      try (JsonParser p = FACTORY.createParser(response.body().byteStream())) {
        p.nextToken();
        while (p.nextToken() == JsonToken.FIELD_NAME) {
          String name = p.currentName();
          p.nextToken();
          if (name.equals("message")) {
            while (p.nextToken() == JsonToken.FIELD_NAME) {
              String field = p.currentName();
              p.nextToken();
              if (field.equals("content")) {
                content = p.getText();
              } else {
                p.skipChildren();
              }
            }
          } else {
            p.skipChildren();
          }
        }
      }
      return content;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Override
  public void close() {
    http.dispatcher().executorService().shutdown();
    http.connectionPool().evictAll();
  }
}
