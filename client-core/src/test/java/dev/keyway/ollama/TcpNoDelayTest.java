package dev.keyway.ollama;

import static org.assertj.core.api.Assertions.assertThat;

import dev.keyway.ollama.testkit.OllamaStandIn;
import dev.keyway.ollama.testkit.ScriptedModel;
import java.io.IOException;
import java.net.InetAddress;
import java.net.Socket;
import java.net.SocketException;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.SocketFactory;
import okhttp3.Call;
import okhttp3.Connection;
import okhttp3.EventListener;
import okhttp3.OkHttpClient;
import okhttp3.mockwebserver.MockResponse;
import okhttp3.mockwebserver.MockWebServer;
import okhttp3.tls.HandshakeCertificates;
import okhttp3.tls.HeldCertificate;
import org.junit.jupiter.api.Test;

/**
 * Every socket Keyway opens has Nagle's algorithm off, over http and https; a socket factory of
 * the caller's is used as given. Through Caddy over HTTPS (HTTP/2), Nagle held a call's request
 * back behind the reset of a stream its caller had stopped: 43.7 ms to the first chunk at the
 * median, against 0.64 to 0.71 ms (benchmarks.jar tls --stop first).
 */
class TcpNoDelayTest {

  /** What each connection's socket said of TCP_NODELAY when OkHttp acquired it for a call. */
  static final class NoDelaySeen extends EventListener {
    final List<Boolean> seen = new CopyOnWriteArrayList<>();

    @Override
    public void connectionAcquired(Call call, Connection connection) {
      try {
        seen.add(connection.socket().getTcpNoDelay());
      } catch (SocketException e) {
        throw new IllegalStateException(e);
      }
    }
  }

  @Test
  void plainHttpSocketsHaveNagleOff() {
    NoDelaySeen listener = new NoDelaySeen();
    try (OllamaStandIn standIn = OllamaStandIn.builder().model(ScriptedModel.named("m").tokens("a", "b")).build();
        OllamaClient client = OllamaClient.builder().baseUrl(standIn.baseUrl())
            .okHttpClient(new OkHttpClient.Builder().eventListener(listener).build()).build()) {
      client.version();
      try (OllamaStream<?> stream = client.chatStream(
          dev.keyway.ollama.model.ChatRequest.builder().model("m")
              .addMessage(dev.keyway.ollama.model.Message.user("hi")).build())) {
        stream.result();
      }
    }
    assertThat(listener.seen).isNotEmpty().containsOnly(true);
  }

  @Test
  void httpsSocketsHaveNagleOff() throws Exception {
    HeldCertificate root = new HeldCertificate.Builder().certificateAuthority(0).build();
    HeldCertificate leaf = new HeldCertificate.Builder().signedBy(root).addSubjectAlternativeName("127.0.0.1").build();
    NoDelaySeen listener = new NoDelaySeen();
    try (MockWebServer server = new MockWebServer()) {
      server.useHttps(new HandshakeCertificates.Builder().heldCertificate(leaf).build().sslSocketFactory(), false);
      server.enqueue(new MockResponse().setBody("{\"version\":\"0.33.0\"}"));
      server.start();
      try (OllamaClient client = OllamaClient.builder().baseUrl("https://127.0.0.1:" + server.getPort())
          .trustCertificatesPem(root.certificatePem())
          .okHttpClient(new OkHttpClient.Builder().eventListener(listener).build()).build()) {
        assertThat(client.version()).isEqualTo("0.33.0");
      }
    }
    assertThat(listener.seen).containsExactly(true);
  }

  @Test
  void aSocketFactoryOfTheCallersIsUsedAsGiven() {
    AtomicInteger made = new AtomicInteger();
    SocketFactory own = new SocketFactory() {
      @Override
      public Socket createSocket() {
        made.incrementAndGet();
        return new Socket(); // Nagle left on: the caller's choice
      }

      @Override
      public Socket createSocket(String host, int port) throws IOException {
        throw new UnsupportedOperationException("OkHttp connects the unconnected socket itself");
      }

      @Override
      public Socket createSocket(String host, int port, InetAddress localHost, int localPort) {
        throw new UnsupportedOperationException("OkHttp connects the unconnected socket itself");
      }

      @Override
      public Socket createSocket(InetAddress host, int port) {
        throw new UnsupportedOperationException("OkHttp connects the unconnected socket itself");
      }

      @Override
      public Socket createSocket(InetAddress address, int port, InetAddress localAddress, int localPort) {
        throw new UnsupportedOperationException("OkHttp connects the unconnected socket itself");
      }
    };
    NoDelaySeen listener = new NoDelaySeen();
    try (OllamaStandIn standIn = OllamaStandIn.builder().build();
        OllamaClient client = OllamaClient.builder().baseUrl(standIn.baseUrl())
            .okHttpClient(new OkHttpClient.Builder().socketFactory(own).eventListener(listener).build()).build()) {
      client.version();
    }
    assertThat(made).hasValue(1);
    assertThat(listener.seen).containsExactly(false);
  }
}
