package dev.keyway.ollama.spring.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;

import java.io.File;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The limits' denial sinks load in an application with Micrometer but without Spring Boot's
 * Actuator (the auto-configuration then asks only for the metrics sink). Checked in a class loader
 * of this test's class path without the actuator jars, since this module's tests have Actuator.
 */
class DenialEventsWithoutActuatorTest {

  @Test
  void theMetricsSinkLoadsWithoutActuator() throws Exception {
    List<URL> urls = new ArrayList<>();
    for (String entry : System.getProperty("java.class.path").split(File.pathSeparator)) {
      if (!Path.of(entry).getFileName().toString().startsWith("spring-boot-actuator")) {
        urls.add(Path.of(entry).toUri().toURL());
      }
    }
    try (URLClassLoader withoutActuator = new URLClassLoader(urls.toArray(URL[]::new),
        ClassLoader.getPlatformClassLoader())) {
      assertThatCode(() -> withoutActuator.loadClass("org.springframework.boot.actuate.audit.listener.AuditApplicationEvent"))
          .as("the loader really lacks Actuator").isInstanceOf(ClassNotFoundException.class);
      Class<?> events = Class.forName(DenialEvents.class.getName(), true, withoutActuator);
      Class<?> publisher = withoutActuator.loadClass("org.springframework.context.ApplicationEventPublisher");
      Class<?> beans = withoutActuator.loadClass("org.springframework.beans.factory.ListableBeanFactory");
      java.lang.reflect.Method sinks = events.getDeclaredMethod("sinks", ClassLoader.class, publisher, beans);
      sinks.setAccessible(true); // another loader, so another runtime package
      assertThat((List<?>) sinks.invoke(null, withoutActuator, null, null)).as("the metrics sink alone").hasSize(1);
    }
  }
}
