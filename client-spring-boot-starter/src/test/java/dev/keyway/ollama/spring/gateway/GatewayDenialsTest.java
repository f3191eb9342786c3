package dev.keyway.ollama.spring.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.springframework.mock.web.MockHttpServletRequest;

/** What a denial carries, whatever the request holds: hashes, a printable path, a plain model or none. */
class GatewayDenialsTest {
  final List<GatewayLimits.Denial> told = new ArrayList<>();

  MockHttpServletRequest request() {
    MockHttpServletRequest request = new MockHttpServletRequest("POST", "/ollama/api/chat");
    request.setRemoteAddr("203.0.113.7");
    return request;
  }

  @Test
  void theCallerIsHashedAsTheLimitsHashIt() {
    new GatewayDenials(List.of(told::add), null, CallerHash.PLAIN).deny(request(), GatewayDenials.FORBIDDEN, "/api/chat", null, "bob");
    new GatewayDenials(List.of(told::add), null, CallerHash.PLAIN).deny(request(), GatewayDenials.FORBIDDEN, "/api/chat", null, null);
    assertThat(told).extracting(GatewayLimits.Denial::caller)
        .containsExactly(CallerHash.PLAIN.hash("principal:bob"), CallerHash.PLAIN.hash("address:203.0.113.7"));
    assertThat(told).extracting(GatewayLimits.Denial::principal).containsExactly("bob", null);
  }

  @Test
  void withACallerHashKeyTheCallerIsTheKeyedHash() {
    new GatewayDenials(List.of(told::add), null, CallerHash.of(CallerHashTest.KEY))
        .deny(request(), GatewayDenials.FORBIDDEN, "/api/chat", null, null);
    assertThat(told).extracting(GatewayLimits.Denial::caller)
        .containsExactly(CallerHash.of(CallerHashTest.KEY).hash("address:203.0.113.7"))
        .doesNotContain(CallerHash.PLAIN.hash("address:203.0.113.7"));
  }

  @Test
  void aResolverIsUsedAndOneThatFailsFallsBackToTheAddress() {
    new GatewayDenials(List.of(told::add), r -> "tenant-1", CallerHash.PLAIN).deny(request(), GatewayDenials.CORS, "/", null, null);
    new GatewayDenials(List.of(told::add), r -> {
      throw new IllegalStateException("no tenant on an unauthenticated request");
    }, CallerHash.PLAIN).deny(request(), GatewayDenials.CORS, "/", null, null);
    assertThat(told).extracting(GatewayLimits.Denial::caller)
        .containsExactly(CallerHash.PLAIN.hash("resolved:tenant-1"), CallerHash.PLAIN.hash("address:203.0.113.7"));
  }

  @Test
  void pathsArePrintableAndBoundedAndOnlyPlainModelsAreKept() {
    GatewayDenials denials = new GatewayDenials(List.of(told::add), null, CallerHash.PLAIN);
    denials.deny(request(), GatewayDenials.BAD_REQUEST, "/api/chat\r\nforged: line\u00e9", "has space", null);
    denials.deny(request(), GatewayDenials.BAD_REQUEST, "/" + "a".repeat(500), "m".repeat(201), null);
    denials.deny(request(), GatewayDenials.NOT_ALLOWED, "/api/chat", "mistral:7b", null);
    assertThat(told.get(0).path()).isEqualTo("/api/chat??forged: line?");
    assertThat(told.get(0).model()).isNull();
    assertThat(told.get(1).path()).hasSize(GatewayDenials.MAX_TEXT);
    assertThat(told.get(1).model()).isNull();
    assertThat(told.get(2).model()).isEqualTo("mistral:7b");
  }

  @Test
  void aFailingSinkDoesNotStopTheOthers() {
    GatewayLimits.DenialSink failing = denial -> {
      throw new IllegalStateException("audit store down");
    };
    new GatewayDenials(List.of(failing, told::add), null, CallerHash.PLAIN).deny(request(), GatewayDenials.TOO_LARGE, "/api/chat", null);
    assertThat(told).extracting(GatewayLimits.Denial::reason).containsExactly(GatewayDenials.TOO_LARGE);
  }
}
