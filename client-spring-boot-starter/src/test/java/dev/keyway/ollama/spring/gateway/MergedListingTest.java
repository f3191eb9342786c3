package dev.keyway.ollama.spring.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.keyway.ollama.Credential;
import dev.keyway.ollama.OllamaServers;
import dev.keyway.ollama.testkit.OllamaStandIn;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.springframework.mock.web.MockHttpServletRequest;
import org.springframework.mock.web.MockHttpServletResponse;

/**
 * The merged listing when no server is left but ones whose key was rejected: the browser hears
 * that the gateway's upstream credential was rejected, and no listing reaches those servers (only
 * the router's polls do). {@code GatewayFailoverTest} has the case with other servers left.
 */
@Timeout(value = 20, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class MergedListingTest {
  static final String RIGHT_KEY = "kw-secret-listing-right-8c1d";
  static final String WRONG_KEY = "kw-secret-listing-wrong-2e7f";

  final OllamaStandIn standIn = OllamaStandIn.builder().requireApiKey(RIGHT_KEY).build();
  OllamaServers servers;

  @AfterEach
  void stop() {
    if (servers != null) {
      servers.close();
    }
    standIn.close();
  }

  long tags() {
    return standIn.requests().stream().filter(r -> r.path().equals("/api/tags")).count();
  }

  @Test
  void whenEveryServerHasARejectedKeyTheListingSaysSoWithoutAskingThem() throws Exception {
    servers = OllamaServers.builder()
        .server("x", standIn.baseUrl(), Credential.apiKey(WRONG_KEY))
        .server("y", standIn.baseUrl(), Credential.apiKey(WRONG_KEY))
        .psInterval(Duration.ofHours(1)).tagsInterval(Duration.ofHours(1))
        .build();
    // the first background polls of x and y, one /api/tags each, rejected
    await().atMost(Duration.ofSeconds(10)).until(() -> tags() == 2
        && servers.status().stream().allMatch(OllamaServers.ServerStatus::credentialRejected));
    OllamaGatewayServlet servlet = new OllamaGatewayServlet(servers, new OllamaGatewayProperties());

    for (String path : new String[] {"/api/tags", "/api/ps", "/api/tags"}) {
      MockHttpServletRequest request = new MockHttpServletRequest("GET", "/ollama" + path);
      request.setServletPath("/ollama");
      request.setPathInfo(path);
      MockHttpServletResponse response = new MockHttpServletResponse();
      servlet.service(request, response);

      assertThat(response.getStatus()).isEqualTo(502);
      assertThat(new ObjectMapper().readTree(response.getContentAsByteArray()).path("error").asText())
          .isEqualTo(OllamaGatewayServlet.UPSTREAM_CREDENTIAL_REJECTED);
      assertThat(response.getContentAsString()).doesNotContain(RIGHT_KEY, WRONG_KEY);
    }
    assertThat(tags()).as("listings that reached a rejecting server").isEqualTo(2);
  }
}
