package dev.keyway.ollama;

import static org.assertj.core.api.Assertions.assertThat;

import dev.keyway.ollama.model.ChatRequest;
import dev.keyway.ollama.model.Message;
import dev.keyway.ollama.testkit.OllamaStandIn;
import dev.keyway.ollama.testkit.RecordedRequest;
import dev.keyway.ollama.testkit.ScriptedModel;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import okhttp3.mockwebserver.MockResponse;
import okhttp3.mockwebserver.MockWebServer;
import okhttp3.tls.HandshakeCertificates;
import okhttp3.tls.HeldCertificate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * A redirect to any other origin (host name, port or scheme) never carries any kind of credential,
 * for every redirect status; and text a caller passes in the body (a model name) cannot become a
 * header or a second request.
 */
class RedirectAndInjectionTest {
  static final String KEY = "kw-secret-redirects";
  static final String OK = "{\"models\":[]}";

  enum Target {
    OTHER_PORT, OTHER_HOST_NAME, OTHER_SCHEME
  }

  static Stream<Arguments> grid() {
    List<Arguments> grid = new ArrayList<>();
    for (Target target : Target.values()) {
      for (String kind : List.of("X-API-Key", "Bearer", "X-Custom-Auth")) {
        for (int status : new int[] {301, 302, 303, 307, 308}) {
          grid.add(Arguments.of(target, kind, status));
        }
      }
    }
    return grid.stream();
  }

  static Credential credential(String kind) {
    return switch (kind) {
      case "Bearer" -> Credential.bearer(KEY);
      case "X-API-Key" -> Credential.apiKey(KEY);
      default -> Credential.header(kind, KEY);
    };
  }

  @ParameterizedTest(name = "{0}, {1}, {2}")
  @MethodSource("grid")
  void aRedirectToAnotherOriginCarriesNoCredential(Target target, String kind, int status) throws Exception {
    HeldCertificate root = new HeldCertificate.Builder().certificateAuthority(0).build();
    HeldCertificate leaf = new HeldCertificate.Builder().signedBy(root).addSubjectAlternativeName("127.0.0.1")
        .addSubjectAlternativeName("localhost").build();
    try (MockWebServer origin = new MockWebServer(); MockWebServer elsewhere = new MockWebServer()) {
      if (target == Target.OTHER_SCHEME) {
        elsewhere.useHttps(new HandshakeCertificates.Builder().heldCertificate(leaf).build().sslSocketFactory(), false);
      }
      origin.start(java.net.InetAddress.getByName("127.0.0.1"), 0);
      elsewhere.start(java.net.InetAddress.getByName("127.0.0.1"), 0);
      String location = switch (target) {
        case OTHER_PORT -> "http://127.0.0.1:" + elsewhere.getPort() + "/api/tags";
        case OTHER_HOST_NAME -> "http://localhost:" + elsewhere.getPort() + "/api/tags";
        case OTHER_SCHEME -> "https://127.0.0.1:" + elsewhere.getPort() + "/api/tags";
      };
      if (target == Target.OTHER_HOST_NAME) {
        // Same port as the origin would make it the same socket; the point is the name differs.
        location = "http://localhost:" + origin.getPort() + "/api/tags";
      }
      origin.enqueue(new MockResponse().setResponseCode(status).setHeader("Location", location));
      origin.enqueue(new MockResponse().setBody(OK));
      elsewhere.enqueue(new MockResponse().setBody(OK));
      try (OllamaClient client = OllamaClient.builder().baseUrl("http://127.0.0.1:" + origin.getPort())
          .credential(credential(kind)).trustCertificatesPem(root.certificatePem()).maxRetries(0).build()) {
        try {
          client.listModels();
        } catch (OllamaException refused) {
          // Keyway refuses redirects that change the scheme; the message must not leak either.
          assertThat(target).isEqualTo(Target.OTHER_SCHEME);
          assertThat(refused.getMessage()).doesNotContain(KEY).contains("scheme");
        }
      }
      okhttp3.mockwebserver.RecordedRequest first = origin.takeRequest();
      assertThat(first.getHeaders().toMultimap().toString()).as("the origin gets the credential").contains(KEY);
      List<okhttp3.mockwebserver.RecordedRequest> redirected = new ArrayList<>();
      while (origin.getRequestCount() > redirected.size() + 1) {
        redirected.add(origin.takeRequest());
      }
      for (int i = 0; i < elsewhere.getRequestCount(); i++) {
        redirected.add(elsewhere.takeRequest());
      }
      if (target != Target.OTHER_SCHEME) {
        assertThat(redirected).as("a request after the redirect").isNotEmpty();
      }
      assertThat(redirected).allSatisfy(r -> {
        assertThat(r.getHeaders().toMultimap().toString()).doesNotContain(KEY);
        assertThat(r.getHeader("Authorization")).isNull();
      });
    }
  }

  @Test
  void aModelNameWithLineBreaksStaysInsideTheJsonBody() {
    String model = "m\r\nX-Injected: 1\r\n\r\nGET /api/tags HTTP/1.1\r\nHost: x";
    try (OllamaStandIn ollama = OllamaStandIn.builder().requireApiKey(KEY).model(ScriptedModel.named("m").answer("ok"))
        .build();
        OllamaClient client = OllamaClient.builder().baseUrl(ollama.baseUrl()).apiKey(KEY).maxRetries(0).build()) {
      try {
        client.chat(ChatRequest.builder().model(model).addMessage(Message.user("hi")).build());
      } catch (OllamaModelNotFoundException expected) {
        assertThat(expected.getMessage()).doesNotContain(KEY);
      }
      assertThat(ollama.requestCount()).as("one request, not two").isEqualTo(1);
      RecordedRequest request = ollama.takeRequest();
      assertThat(request.header("X-Injected")).isNull();
      assertThat(request.bodyJson().get("model").asText()).isEqualTo(model);
    }
  }
}
