package dev.keyway.ollama.spring.gateway;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.springframework.beans.factory.ListableBeanFactory;
import org.springframework.boot.actuate.audit.listener.AuditApplicationEvent;
import org.springframework.context.ApplicationEventPublisher;
import org.springframework.util.ClassUtils;

/**
 * Where the gateway's refusals are told (the usage limits' and the gateway's own, {@link
 * GatewayDenials}): Spring Boot's audit events and a Micrometer counter, each only when its
 * library is on the application's classpath ({@link #sinks}).
 */
final class DenialEvents {
  /** Audit event type of every gateway refusal. */
  static final String AUDIT_TYPE = "OLLAMA_GATEWAY_DENIED";
  /** Counter of refusals, tagged by reason. */
  static final String METRIC = "ollama.gateway.denied";

  private DenialEvents() {}

  /**
   * The sinks the application's classpath allows: audit events when Spring Boot's actuator is
   * there, the counter when Micrometer is. {@code loader} is the application's class loader, not
   * this class's: what the application carries decides.
   */
  static List<GatewayLimits.DenialSink> sinks(ClassLoader loader, ApplicationEventPublisher events,
      ListableBeanFactory beans) {
    List<GatewayLimits.DenialSink> sinks = new ArrayList<>();
    if (ClassUtils.isPresent("org.springframework.boot.actuate.audit.listener.AuditApplicationEvent", loader)) {
      sinks.add(Audit.sink(events));
    }
    if (ClassUtils.isPresent("io.micrometer.core.instrument.MeterRegistry", loader)) {
      sinks.add(Metrics.sink(beans));
    }
    return sinks;
  }

  /**
   * Publishes an {@link AuditApplicationEvent}: the principal's name when the caller is
   * authenticated, else the caller's hash; reason, path and model. Never the key or prompt text.
   * A class of its own, loaded only when Spring Boot's actuator is present: the JVM verifies a
   * class's code against the types it names, so naming the event here in {@link DenialEvents}
   * would fail without the actuator.
   */
  static final class Audit {
    private Audit() {}

    static GatewayLimits.DenialSink sink(ApplicationEventPublisher events) {
      return denial -> {
        Map<String, Object> data = new LinkedHashMap<>();
        data.put("reason", denial.reason());
        data.put("caller", denial.caller());
        data.put("path", denial.path());
        if (denial.model() != null) {
          data.put("model", denial.model());
        }
        String principal = denial.principal() != null ? denial.principal() : "caller:" + denial.caller();
        events.publishEvent(new AuditApplicationEvent(principal, AUDIT_TYPE, data));
      };
    }
  }

  /**
   * Counts {@code ollama.gateway.denied} tagged by reason, in the application's registry if it has
   * one. Loaded only when Micrometer is present, like {@link Audit}.
   */
  static final class Metrics {
    private Metrics() {}

    static GatewayLimits.DenialSink sink(ListableBeanFactory beans) {
      return denial -> {
        MeterRegistry registry = beans.getBeanProvider(MeterRegistry.class).getIfUnique();
        if (registry != null) {
          Counter.builder(METRIC).description("Gateway calls refused, by reason")
              .tag("reason", denial.reason()).register(registry).increment();
        }
      };
    }
  }
}
