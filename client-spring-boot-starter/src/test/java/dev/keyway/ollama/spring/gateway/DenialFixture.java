package dev.keyway.ollama.spring.gateway;

import io.micrometer.core.instrument.MeterRegistry;
import org.junit.jupiter.api.BeforeEach;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.actuate.audit.AuditEventRepository;

/**
 * A gateway test that reads the refusals it causes: its application adds {@link DenialProbe.Beans},
 * and {@link #denials} is marked before each test.
 */
abstract class DenialFixture extends GatewayFixture {
  @Autowired AuditEventRepository audit;
  @Autowired MeterRegistry registry;
  DenialProbe denials;

  @BeforeEach
  void probe() {
    denials = new DenialProbe(audit, registry).mark();
  }
}
