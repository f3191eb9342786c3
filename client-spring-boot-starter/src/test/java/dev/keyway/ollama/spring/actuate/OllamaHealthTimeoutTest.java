package dev.keyway.ollama.spring.actuate;

import static org.assertj.core.api.Assertions.assertThat;

import dev.keyway.ollama.spring.OllamaAutoConfiguration;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.springframework.boot.actuate.health.Health;
import org.springframework.boot.actuate.health.HealthIndicator;
import org.springframework.boot.actuate.health.Status;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

/**
 * Issue 11 defect 1: an upstream that accepts the connection and never answers makes health DOWN
 * within {@code ollama.health.timeout}, not after the client's ten-minute read timeout and retries.
 */
@Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class OllamaHealthTimeoutTest {
  ServerSocket silent;
  final List<Socket> accepted = new CopyOnWriteArrayList<>();
  ApplicationContextRunner runner;

  @BeforeEach
  void setUp() throws IOException {
    silent = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    Thread acceptor = new Thread(() -> {
      try {
        while (true) {
          accepted.add(silent.accept()); // connected, read from and answered never
        }
      } catch (IOException closed) {
        // the test is over
      }
    }, "silent-upstream");
    acceptor.setDaemon(true);
    acceptor.start();
    runner = new ApplicationContextRunner()
        .withConfiguration(AutoConfigurations.of(OllamaAutoConfiguration.class,
            OllamaHealthAutoConfiguration.class))
        .withPropertyValues("ollama.base-url=http://127.0.0.1:" + silent.getLocalPort(),
            "ollama.api-key=kw-secret-health-timeout", "ollama.read-timeout=10m");
  }

  @AfterEach
  void tearDown() throws IOException {
    silent.close();
    for (Socket s : accepted) {
      s.close();
    }
  }

  static Health checkWithin(HealthIndicator indicator, long seconds) throws Exception {
    return CompletableFuture.supplyAsync(indicator::health).get(seconds, TimeUnit.SECONDS);
  }

  @Test
  void hungUpstreamIsDownWithinTheConfiguredBound() {
    runner.withPropertyValues("ollama.health.timeout=300ms").run(context -> {
      HealthIndicator indicator = (HealthIndicator) context.getBean("ollamaHealthIndicator");
      Health health = checkWithin(indicator, 10);
      assertThat(health.getStatus()).isEqualTo(Status.DOWN);
      assertThat(health.getDetails()).containsEntry("reason", "unreachable");
      assertThat(accepted).as("one attempt, no retries").hasSize(1);
    });
  }

  @Test
  void hungUpstreamIsDownWithinTheDefaultBound() {
    runner.run(context -> {
      HealthIndicator indicator = (HealthIndicator) context.getBean("ollamaHealthIndicator");
      Health health = checkWithin(indicator, 20);
      assertThat(health.getStatus()).isEqualTo(Status.DOWN);
    });
  }
}
