package dev.keyway.ollama.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.Socket;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;

class OllamaStandInExtensionTest {
  private static final List<OllamaStandIn> SEEN = new CopyOnWriteArrayList<>();

  @AfterAll
  static void everyStandInWasClosedAfterItsTest() {
    assertThat(SEEN).hasSizeGreaterThanOrEqualTo(5);
    for (OllamaStandIn standIn : SEEN) {
      assertThatThrownBy(() -> new Socket(InetAddress.getLoopbackAddress(), standIn.port()).close())
          .as(standIn.toString())
          .isInstanceOf(ConnectException.class);
    }
  }

  @Nested
  @ExtendWith(OllamaStandInExtension.class)
  class Injected {
    @BeforeEach
    void injectedInLifecycleMethodsToo(OllamaStandIn ollama) {
      SEEN.add(ollama);
    }

    @Test
    void injectsAStartedStandInWithDefaults(OllamaStandIn ollama) {
      assertThat(Http.get(ollama, "/api/tags").body()).contains("\"name\":\"llama3.2:latest\"");
    }

    @Test
    void eachTestGetsAFreshStandIn(OllamaStandIn ollama) {
      assertThat(ollama.requestCount()).isZero();
      assertThat(SEEN).doesNotHaveDuplicates();
      Http.get(ollama, "/");
    }
  }

  @Nested
  class Registered {
    @RegisterExtension
    final OllamaStandInExtension ollama =
        OllamaStandInExtension.with(b -> b.requireApiKey("kw-secret-k").model(ScriptedModel.named("m").tokens("ok")));

    @Test
    void appliesTheConfiguration() {
      OllamaStandIn standIn = ollama.standIn();
      SEEN.add(standIn);

      assertThat(Http.get(standIn, "/api/tags").statusCode()).isEqualTo(401);
      assertThat(Http.get(standIn, "/api/tags", "X-API-Key", "kw-secret-k").body()).contains("\"name\":\"m:latest\"");
    }

    @Test
    void injectsTheSameStandInAsTheField(OllamaStandIn injected) {
      SEEN.add(injected);

      assertThat(injected).isSameAs(ollama.standIn());
    }

    @Test
    void standInIsUnavailableOutsideATest() throws IOException {
      SEEN.add(ollama.standIn());
      OllamaStandInExtension unused = OllamaStandInExtension.with(b -> {});

      assertThatThrownBy(unused::standIn).isInstanceOf(IllegalStateException.class);
    }
  }
}
