package dev.keyway.ollama;

import com.fasterxml.jackson.databind.ObjectMapper;
import okhttp3.mockwebserver.MockResponse;
import okhttp3.mockwebserver.MockWebServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;

/**
 * A fresh MockWebServer per test and a client for it, built by {@link #client(OllamaClient.Builder)}
 * with the base URL already set; the JSON and NDJSON answers Ollama gives.
 */
abstract class MockServerTest {
  static final ObjectMapper JSON = new ObjectMapper();

  MockWebServer server;
  OllamaClient client;

  /** The client under test: set its credential and anything else on {@code builder}. */
  abstract OllamaClient client(OllamaClient.Builder builder);

  /** The base URL's path on the server: a proxy prefix, or {@code /}. */
  String basePath() {
    return "/";
  }

  @BeforeEach
  void startServer() throws Exception {
    server = new MockWebServer();
    server.start();
    client = client(OllamaClient.builder().baseUrl(server.url(basePath()).toString()));
  }

  @AfterEach
  void stopServer() throws Exception {
    client.close();
    server.shutdown();
  }

  static MockResponse json(String body) {
    return new MockResponse().setHeader("Content-Type", "application/json; charset=utf-8").setBody(body);
  }

  static MockResponse ndjson(String body) {
    return new MockResponse().setHeader("Content-Type", "application/x-ndjson").setChunkedBody(body, 48);
  }
}
