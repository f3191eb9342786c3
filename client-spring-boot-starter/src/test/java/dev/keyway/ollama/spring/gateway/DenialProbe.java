package dev.keyway.ollama.spring.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.List;
import org.springframework.boot.actuate.audit.AuditEvent;
import org.springframework.boot.actuate.audit.AuditEventRepository;
import org.springframework.boot.actuate.audit.InMemoryAuditEventRepository;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * Reads what the gateway told of its refusals: the {@code OLLAMA_GATEWAY_DENIED} audit events in
 * the application's {@link AuditEventRepository} and the {@code ollama.gateway.denied} counter.
 * {@link #mark} before a request, {@link #awaitOne} after it.
 */
final class DenialProbe {
  /** The beans a test application adds: an audit repository and a registry of its own. */
  @Configuration(proxyBeanMethods = false)
  static class Beans {
    @Bean
    InMemoryAuditEventRepository auditEventRepository() {
      return new InMemoryAuditEventRepository();
    }

    @Bean
    SimpleMeterRegistry simpleMeterRegistry() {
      return new SimpleMeterRegistry();
    }
  }

  private final AuditEventRepository audit;
  private final MeterRegistry registry;
  private int seen;

  DenialProbe(AuditEventRepository audit, MeterRegistry registry) {
    this.audit = audit;
    this.registry = registry;
  }

  /** All gateway denial events so far, oldest first. */
  List<AuditEvent> events() {
    return audit.find(null, null, DenialEvents.AUDIT_TYPE);
  }

  /** Remembers how many events there are now. */
  DenialProbe mark() {
    seen = events().size();
    return this;
  }

  double count(String reason) {
    Counter counter = registry.find(DenialEvents.METRIC).tag("reason", reason).counter();
    return counter == null ? 0 : counter.count();
  }

  /**
   * Waits (5 s at most) for the one event told since {@link #mark}, checks that there is exactly
   * one and that it has {@code reason}, and returns it. (A refusal written before the servlet is
   * told after the response, so the browser may see the answer first.)
   */
  AuditEvent awaitOne(String reason) {
    await().atMost(Duration.ofSeconds(5)).until(() -> events().size() > seen);
    List<AuditEvent> all = events();
    assertThat(all).hasSize(seen + 1);
    AuditEvent event = all.get(all.size() - 1);
    assertThat(event.getType()).isEqualTo(DenialEvents.AUDIT_TYPE);
    assertThat(event.getData()).containsEntry("reason", reason);
    seen = all.size();
    return event;
  }

  /** As {@link #awaitOne}, for one event per reason given (in any order: some are told late). */
  List<AuditEvent> awaitAll(String... reasons) {
    await().atMost(Duration.ofSeconds(5)).until(() -> events().size() >= seen + reasons.length);
    List<AuditEvent> all = events();
    assertThat(all).hasSize(seen + reasons.length);
    List<AuditEvent> told = all.subList(seen, all.size());
    assertThat(told).extracting(event -> event.getData().get("reason")).containsExactlyInAnyOrder((Object[]) reasons);
    seen = all.size();
    return told;
  }

  /** No event since {@link #mark}: checked after a request that was answered in full. */
  void assertNone() {
    assertThat(events()).hasSize(seen);
  }

  /** Every gateway denial event's principal and data, as text. */
  String denialsTold() {
    StringBuilder all = new StringBuilder();
    for (AuditEvent event : events()) {
      all.append(event.getPrincipal()).append(' ').append(event.getData()).append('\n');
    }
    return all.toString();
  }

  /** Every audit event's principal and data (the application's own too), and every meter's name and tags, as text. */
  String everythingTold() {
    StringBuilder all = new StringBuilder();
    for (AuditEvent event : audit.find(null, null, null)) {
      all.append(event.getPrincipal()).append(' ').append(event.getType()).append(' ').append(event.getData()).append('\n');
    }
    for (Meter meter : registry.getMeters()) {
      all.append(meter.getId().getName());
      for (Tag tag : meter.getId().getTags()) {
        all.append(' ').append(tag.getKey()).append('=').append(tag.getValue());
      }
      all.append('\n');
    }
    return all.toString();
  }
}
