package dev.keyway.samples.chatweb;

import static org.assertj.core.api.Assertions.assertThat;

import dev.keyway.ollama.testkit.OllamaStandIn;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * Finding 12 of issue 10: paths Spring Security's firewall rejects ({@code //}, {@code /./},
 * {@code ;}) answered 500 with a 50-line ERROR stack trace each, a lever to flood the log. They
 * answer 400 now, with at most a DEBUG line: the starter runs the firewall on the gateway's path
 * ahead of Spring Security, and hands refusals to the sample's {@code RequestRejectedHandler}.
 */
@ExtendWith(OutputCaptureExtension.class)
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT, properties = "keyway.demo=false")
class FirewallRejectionTest {
  static final String KEY = Http.newKey("kw-secret-firewall-");
  static final OllamaStandIn OLLAMA = OllamaStandIn.builder().requireApiKey(KEY).build();

  @DynamicPropertySource
  static void ollama(DynamicPropertyRegistry registry) {
    registry.add("ollama.base-url", OLLAMA::baseUrl);
    registry.add("ollama.api-key", () -> KEY);
  }

  @AfterAll
  static void stop() {
    OLLAMA.close();
  }

  @LocalServerPort int port;

  /** Sends the request line as written (an HTTP client would normalize the path) and returns the status line. */
  String statusLine(String target) throws Exception {
    try (Socket socket = new Socket("127.0.0.1", port)) {
      socket.setSoTimeout((int) Duration.ofSeconds(10).toMillis());
      OutputStream out = socket.getOutputStream();
      out.write(("GET " + target + " HTTP/1.1\r\nHost: 127.0.0.1:" + port + "\r\nConnection: close\r\n\r\n")
          .getBytes(StandardCharsets.US_ASCII));
      out.flush();
      InputStream in = socket.getInputStream();
      String answer = new String(in.readAllBytes(), StandardCharsets.ISO_8859_1);
      return answer.substring(0, Math.max(0, answer.indexOf("\r\n")));
    }
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"//ollama/api/tags", "/./ollama/api/tags", "/ollama;x=1/api/tags", "/ollama/./api/tags",
      "/ollama/api/..;/tags", "/%2e/ollama/api/tags"})
  @Timeout(30)
  void answers400WithoutAStackTraceInTheLog(String target, CapturedOutput output) throws Exception {
    int from = output.getAll().length();
    int upstreamBefore = OLLAMA.requestCount();

    String status = statusLine(target);

    assertThat(status).startsWith("HTTP/1.1 400");
    String logged = output.getAll().substring(from);
    assertThat(logged).as("what the rejection logged").doesNotContain(" ERROR ").doesNotContain("\tat org.")
        .doesNotContain("RequestRejectedException: ");
    assertThat(OLLAMA.requestCount()).isEqualTo(upstreamBefore);
  }
}
