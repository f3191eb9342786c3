package dev.keyway.ollama.spring.gateway;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.LinkedHashMap;
import java.util.Map;
import org.springframework.beans.factory.ListableBeanFactory;
import org.springframework.boot.actuate.audit.listener.AuditApplicationEvent;
import org.springframework.context.ApplicationEventPublisher;

/**
 * Where limit refusals are told: Spring Boot's audit events and a Micrometer counter. Each method
 * is called only when its library is on the classpath.
 */
final class DenialEvents {
  /** Audit event type of every gateway limits refusal. */
  static final String AUDIT_TYPE = "OLLAMA_GATEWAY_DENIED";
  /** Counter of refusals, tagged by reason. */
  static final String METRIC = "ollama.gateway.denied";

  private DenialEvents() {}

  /**
   * Publishes an {@link AuditApplicationEvent}: the principal's name when the caller is
   * authenticated, else the caller's hash; reason, path and model. Never the key or prompt text.
   */
  static GatewayLimits.DenialSink audit(ApplicationEventPublisher events) {
    return Audit.sink(events);
  }

  /**
   * The only code that names Actuator's type. In a class of its own because the JVM's verifier
   * loads it while verifying the class that constructs it: kept in DenialEvents, it made
   * {@link #metrics} fail with NoClassDefFoundError in an application with Micrometer but without
   * Actuator.
   */
  private static final class Audit {
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

  /** Counts {@code ollama.gateway.denied} tagged by reason, in the application's registry if it has one. */
  static GatewayLimits.DenialSink metrics(ListableBeanFactory beans) {
    return denial -> {
      MeterRegistry registry = beans.getBeanProvider(MeterRegistry.class).getIfUnique();
      if (registry != null) {
        Counter.builder(METRIC).description("Gateway calls refused by the usage limits")
            .tag("reason", denial.reason()).register(registry).increment();
      }
    };
  }
}
