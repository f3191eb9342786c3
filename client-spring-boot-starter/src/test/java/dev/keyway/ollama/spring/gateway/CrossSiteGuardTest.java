package dev.keyway.ollama.spring.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.springframework.mock.web.MockHttpServletRequest;
import org.springframework.mock.web.MockHttpServletResponse;

/** The cross-site checks one request at a time: the grid of Origin, method and Content-Type. */
class CrossSiteGuardTest {
  static final CrossSiteGuard NONE_LISTED = new CrossSiteGuard(List.of());
  static final CrossSiteGuard LISTED = new CrossSiteGuard(List.of("https://App.Example:443", "http://localhost:5173"));

  /** A request to http://gateway.test:8080/ollama/api/chat. */
  static MockHttpServletRequest request(String method, String origin, String contentType) {
    MockHttpServletRequest request = new MockHttpServletRequest(method, "/ollama/api/chat");
    request.setScheme("http");
    request.setServerName("gateway.test");
    request.setServerPort(8080);
    if (origin != null) {
      request.addHeader("Origin", origin);
    }
    if (contentType != null) {
      request.setContentType(contentType);
    }
    return request;
  }

  record Outcome(boolean admitted, MockHttpServletResponse response) {}

  static Outcome admit(CrossSiteGuard guard, MockHttpServletRequest request) throws Exception {
    MockHttpServletResponse response = new MockHttpServletResponse();
    return new Outcome(guard.admit(request, response), response);
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"https://evil.example", "null", "http://gateway.test:8081", "https://gateway.test:8080",
      "http://gateway.test.evil.example:8080", "http://gateway.test:8080/path", "*", "gateway.test:8080",
      "http://user@gateway.test:8080"})
  void aForeignOriginIsRefusedEvenWithNothingListed(String origin) throws Exception {
    for (CrossSiteGuard guard : List.of(NONE_LISTED, LISTED)) {
      for (String method : List.of("GET", "POST", "HEAD", "OPTIONS")) {
        Outcome outcome = admit(guard, request(method, origin, "application/json"));
        assertThat(outcome.admitted()).as("%s %s", method, origin).isFalse();
        assertThat(outcome.response().getStatus()).isEqualTo(403);
        assertThat(outcome.response().getHeader("Access-Control-Allow-Origin")).isNull();
      }
    }
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"http://gateway.test:8080", "HTTP://Gateway.Test:8080"})
  void theRequestsOwnOriginIsAdmittedWithoutCorsHeaders(String origin) throws Exception {
    Outcome outcome = admit(NONE_LISTED, request("POST", origin, "application/json"));
    assertThat(outcome.admitted()).isTrue();
    assertThat(outcome.response().getHeader("Access-Control-Allow-Origin")).isNull();
  }

  @Test
  void noOriginIsAdmitted() throws Exception {
    assertThat(admit(NONE_LISTED, request("POST", null, "application/json")).admitted()).isTrue();
    assertThat(admit(NONE_LISTED, request("GET", null, null)).admitted()).isTrue();
  }

  @Test
  void twoOriginHeadersAreRefused() throws Exception {
    MockHttpServletRequest request = request("GET", "http://gateway.test:8080", null);
    request.addHeader("Origin", "https://evil.example");
    assertThat(admit(LISTED, request).response().getStatus()).isEqualTo(403);
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"https://app.example", "https://APP.example:443", "http://localhost:5173"})
  void aListedOriginGetsCorsWithCredentials(String origin) throws Exception {
    Outcome outcome = admit(LISTED, request("POST", origin, "application/json"));
    assertThat(outcome.admitted()).isTrue();
    assertThat(outcome.response().getHeader("Access-Control-Allow-Origin")).isEqualTo(origin);
    assertThat(outcome.response().getHeader("Access-Control-Allow-Credentials")).isEqualTo("true");
    assertThat(outcome.response().getHeaders("Vary")).contains("Origin");
  }

  @Test
  void aListedOriginsPreflightAllowsAuthorizationAndContentType() throws Exception {
    MockHttpServletRequest preflight = request("OPTIONS", "https://app.example", null);
    preflight.addHeader("Access-Control-Request-Method", "POST");
    preflight.addHeader("Access-Control-Request-Headers", "authorization,content-type");
    Outcome outcome = admit(LISTED, preflight);
    assertThat(outcome.admitted()).isFalse();
    assertThat(outcome.response().getStatus()).isEqualTo(204);
    assertThat(outcome.response().getHeader("Access-Control-Allow-Headers")).isEqualTo("Authorization, Content-Type");
    assertThat(outcome.response().getHeader("Access-Control-Allow-Credentials")).isEqualTo("true");
  }

  @Test
  void corsHeadersAlreadySetBySpringSecurityAreNotDoubled() throws Exception {
    MockHttpServletResponse response = new MockHttpServletResponse();
    response.addHeader("Access-Control-Allow-Origin", "https://app.example");
    response.addHeader("Vary", "Origin");
    assertThat(LISTED.admit(request("GET", "https://app.example", null), response)).isTrue();
    assertThat(response.getHeaders("Access-Control-Allow-Origin")).containsExactly("https://app.example");
    assertThat(response.getHeaders("Vary")).containsExactly("Origin");
  }

  @ParameterizedTest(name = "[{0}]")
  @CsvSource(delimiter = '|', nullValues = "NULL", value = {
      "NULL|false", "text/plain|false", "text/plain;charset=UTF-8|false",
      "application/x-www-form-urlencoded|false", "multipart/form-data; boundary=x|false",
      "application/jsonx|false", "application/json-seq|false", "application/ json|false",
      "application/json; charset=iso-8859-1|false", "application/json; boundary=x|false",
      "application/json; charset=utf-8; x=1|false", "application/json;|false", "'application/json, text/plain'|false",
      "application/json|true", "APPLICATION/JSON|true", "application/json; charset=utf-8|true",
      "application/json;charset=\"UTF-8\"|true", "' application/json '|true"})
  void postBodiesMustBeJson(String contentType, boolean admitted) throws Exception {
    Outcome outcome = admit(NONE_LISTED, request("POST", null, contentType));
    assertThat(outcome.admitted()).isEqualTo(admitted);
    if (!admitted) {
      assertThat(outcome.response().getStatus()).isEqualTo(415);
    }
  }

  @Test
  void getNeedsNoContentType() throws Exception {
    assertThat(admit(NONE_LISTED, request("GET", null, null)).admitted()).isTrue();
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"*", "https://*.example", "app.example", "https://app.example/api", "null"})
  void aListEntryThatIsNotAnOriginFailsAtStartNamingTheProperty(String entry) {
    assertThatThrownBy(() -> new CrossSiteGuard(List.of(entry)))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("ollama.gateway.allowed-origins");
  }
}
