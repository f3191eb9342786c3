package dev.keyway.ollama.internal;

import dev.keyway.ollama.PassThroughResponse;
import java.io.InputStream;
import okhttp3.Call;
import okhttp3.Response;

/** A 2xx answer handed out unread by {@link DefaultOllamaClient#passThrough}. */
final class RelayedResponse implements PassThroughResponse {
  private final Call call;
  private final Response response;
  private final InputStream body;

  RelayedResponse(Call call, Response response, Redactor redactor) {
    this.call = call;
    this.response = response;
    this.body = redactor.redact(response.body().byteStream());
  }

  @Override
  public int status() {
    return response.code();
  }

  @Override
  public String contentType() {
    return response.header("Content-Type", "application/json");
  }

  @Override
  public InputStream body() {
    return body;
  }

  @Override
  public void cancel() {
    call.cancel();
  }

  @Override
  public void close() {
    response.close();
  }

  @Override
  public String toString() {
    return "PassThroughResponse{" + response.code() + " " + contentType() + "}";
  }
}
