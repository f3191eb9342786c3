package dev.keyway.ollama.spring.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.springframework.mock.web.MockHttpServletRequest;

/**
 * The gateway reads a request body whole up to one byte past its limit, whatever length the
 * request declares: a declared length only sizes the first read. (A container that frames by
 * {@code Content-Length} never gives more than declared; this checks the body is not cut if one
 * did.)
 */
class GatewayBodyReadTest {
  private static final long LIMIT = 4096;

  @Test
  void aBodyLongerThanDeclaredIsReadOnNotCut() throws IOException {
    byte[] content = "{\"prompt\":\"".concat("y".repeat(100)).concat("\"}").getBytes(StandardCharsets.UTF_8);

    assertThat(OllamaGatewayServlet.body(declaring(10, content), LIMIT)).isEqualTo(content);
  }

  @Test
  void aBodyLongerThanDeclaredAndThanTheLimitStopsOneBytePastTheLimit() throws IOException {
    byte[] content = new byte[10_000];

    assertThat(OllamaGatewayServlet.body(declaring(10, content), LIMIT)).hasSize((int) LIMIT + 1);
  }

  @Test
  void declaredOrNotTheBodyIsReadWhole() throws IOException {
    byte[] content = "x".repeat(3000).getBytes(StandardCharsets.UTF_8);

    assertThat(OllamaGatewayServlet.body(declaring(content.length, content), LIMIT)).isEqualTo(content);
    assertThat(OllamaGatewayServlet.body(declaring(-1, content), LIMIT)).isEqualTo(content);
    assertThat(OllamaGatewayServlet.body(declaring(0, new byte[0]), LIMIT)).isEmpty();
  }

  private static MockHttpServletRequest declaring(long declared, byte[] content) {
    MockHttpServletRequest request = new MockHttpServletRequest("POST", "/ollama/api/generate") {
      @Override
      public long getContentLengthLong() {
        return declared;
      }
    };
    request.setContent(content);
    return request;
  }
}
