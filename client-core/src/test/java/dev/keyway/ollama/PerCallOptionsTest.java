package dev.keyway.ollama;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.keyway.ollama.model.EmbedRequest;
import dev.keyway.ollama.model.EmbeddingsRequest;
import java.time.Duration;
import java.util.function.Function;
import java.util.stream.Stream;
import okhttp3.mockwebserver.MockResponse;
import okhttp3.mockwebserver.SocketPolicy;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Issue 11 defect 1: every endpoint takes per-call {@link RequestOptions}. Against a server that
 * never answers and a client whose read timeout is ten minutes, each call ends within its own
 * short call timeout (the class timeout fails a call that ignores it).
 */
@Timeout(value = 30, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class PerCallOptionsTest extends MockServerTest {
  static final RequestOptions SHORT =
      RequestOptions.builder().callTimeout(Duration.ofMillis(300)).maxAttempts(1).build();

  @Override
  OllamaClient client(OllamaClient.Builder builder) {
    return builder.bearerToken("kw-secret-options").readTimeout(Duration.ofMinutes(10)).build();
  }

  static Stream<Arguments> endpoints() {
    return Stream.of(
        call("listModels", c -> c.listModels(SHORT)),
        call("version", c -> c.version(SHORT)),
        call("embed", c -> c.embed(EmbedRequest.of("m", "x"), SHORT)),
        call("embeddings", c -> c.embeddings(EmbeddingsRequest.of("m", "x"), SHORT)),
        call("running", c -> c.running(SHORT)),
        call("show", c -> c.show("m", SHORT)),
        call("showVerbose", c -> c.showVerbose("m", SHORT)),
        call("webSearch", c -> c.webSearch("q", 3, SHORT)),
        call("webFetch", c -> c.webFetch("https://example.com", SHORT)),
        call("models().withOptions().list()", c -> c.models().withOptions(SHORT).list()),
        call("models().withOptions().copy()", c -> {
          c.models().withOptions(SHORT).copy("a", "b");
          return null;
        }),
        call("models().withOptions().pull()", c -> c.models().withOptions(SHORT).pull("m")));
  }

  static Arguments call(String name, Function<OllamaClient, Object> call) {
    return Arguments.of(name, call);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("endpoints")
  void callEndsWithinItsOwnCallTimeout(String name, Function<OllamaClient, Object> call) {
    server.enqueue(new MockResponse().setSocketPolicy(SocketPolicy.NO_RESPONSE));
    assertThatThrownBy(() -> call.apply(client)).isInstanceOf(OllamaTransportException.class)
        .hasMessageContaining("Timed out");
  }
}
