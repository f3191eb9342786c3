package dev.keyway.ollama.spring.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The gateway's JSON work leaves Jackson's buffers in one shared pool, so a call on a new thread
 * (as every virtual request thread is) takes the set an earlier call gave back instead of
 * allocating its own.
 */
class GatewayJsonTest {
  private static final byte[] CHAT = "{\"model\":\"llama3.2\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"stream\":true}"
      .getBytes(StandardCharsets.UTF_8);

  @BeforeEach
  void emptyPool() {
    GatewayJson.BUFFERS.clear();
  }

  @Test
  void aCheckedRequestOnANewThreadReusesTheBuffersTheLastOneGaveBack() throws Exception {
    onNewThread(() -> assertThat(GatewayRequest.check(CHAT, GatewayRequestFuzzTest.RULES,
        GatewayRequest.Endpoint.CHAT).refused()).isFalse());
    assertThat(GatewayJson.BUFFERS.pooledCount()).isEqualTo(1);

    onNewThread(() -> assertThat(GatewayRequest.check(CHAT, GatewayRequestFuzzTest.RULES,
        GatewayRequest.Endpoint.CHAT).refused()).isFalse());
    assertThat(GatewayJson.BUFFERS.pooledCount()).as("the same set taken and given back").isEqualTo(1);
  }

  @Test
  void theShowFilterGivesItsBuffersBackToo() throws Exception {
    byte[] show = "{\"details\":{\"family\":\"llama\"},\"license\":\"long\"}".getBytes(StandardCharsets.UTF_8);
    onNewThread(() -> {
      try {
        assertThat(new String(ShowFilter.filter(new ByteArrayInputStream(show)), StandardCharsets.UTF_8))
            .isEqualTo("{\"details\":{\"family\":\"llama\"}}");
      } catch (java.io.IOException e) {
        throw new AssertionError(e);
      }
    });
    assertThat(GatewayJson.BUFFERS.pooledCount()).isBetween(1, 2);
  }

  private static void onNewThread(Runnable call) throws InterruptedException {
    Throwable[] failure = new Throwable[1];
    Thread thread = new Thread(() -> {
      try {
        call.run();
      } catch (Throwable t) {
        failure[0] = t;
      }
    });
    thread.start();
    thread.join(TimeUnit.SECONDS.toMillis(30));
    assertThat(thread.isAlive()).as("the call ended within 30 s").isFalse();
    if (failure[0] != null) {
      throw new AssertionError(failure[0]);
    }
  }
}
