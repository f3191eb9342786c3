package dev.keyway.bench;

import jakarta.servlet.AsyncContext;
import jakarta.servlet.ServletOutputStream;
import jakarta.servlet.WriteListener;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.util.ArrayDeque;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Flow;
import org.apache.catalina.Context;
import org.apache.catalina.Wrapper;
import org.apache.catalina.connector.Connector;
import org.apache.catalina.startup.Tomcat;

/**
 * A second floor for {@code streams2000 --gateways jdk-relay}, a spike and not a proxy anyone should
 * run: the event-driven design {@link NioRelay} stands for, built from libraries instead of raw
 * sockets — Tomcat (as the gateway runs on) answering each request asynchronously, the JDK's
 * {@link HttpClient} sending it upstream and handing the body over as it arrives
 * ({@link HttpResponse.BodySubscriber}), the bytes written with the Servlet API's non-blocking
 * output ({@link WriteListener}): no thread waits for a token. None of Keyway's checks (credential,
 * routing, limits, observation) are in it. Prints {@code RELAY-PORT <port>}. Argument: the
 * upstream's port.
 */
final class JdkRelay {
  public static void main(String[] args) throws Exception {
    String upstream = "http://127.0.0.1:" + args[0];
    HttpClient.Builder builder = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1);
    if (Boolean.getBoolean("jdkRelay.direct")) {
      // -Dbench.gatewayJvm=-DjdkRelay.direct=true: the client's callbacks on its own selector
      // thread instead of its default executor's threads
      builder.executor(Runnable::run);
    }
    HttpClient client = builder.build();
    Tomcat tomcat = new Tomcat();
    tomcat.setBaseDir(Files.createTempDirectory("jdk-relay").toString());
    Connector connector = new Connector("HTTP/1.1");
    connector.setPort(0);
    connector.setProperty("address", "127.0.0.1");
    connector.setProperty("maxThreads", "64");
    connector.setProperty("maxConnections", "10000");
    connector.setProperty("acceptCount", "1000");
    tomcat.setConnector(connector);
    Context context = tomcat.addContext("", null);
    Wrapper wrapper = Tomcat.addServlet(context, "relay", new Relay(client, upstream));
    wrapper.setAsyncSupported(true);
    context.addServletMappingDecoded("/*", "relay");
    tomcat.start();
    System.out.println("RELAY-PORT " + connector.getLocalPort());
    System.out.flush();
    tomcat.getServer().await();
  }

  private static final class Relay extends HttpServlet {
    private final HttpClient client;
    private final String upstream;

    Relay(HttpClient client, String upstream) {
      this.client = client;
      this.upstream = upstream;
    }

    @Override
    protected void service(HttpServletRequest request, HttpServletResponse response) throws IOException {
      byte[] body = request.getInputStream().readAllBytes();
      HttpRequest.Builder up = HttpRequest.newBuilder(URI.create(upstream + request.getRequestURI()))
          .header("Content-Type", "application/json");
      String accept = request.getHeader("Accept");
      if (accept != null) {
        up.header("Accept", accept);
      }
      up.method(request.getMethod(), body.length == 0 ? HttpRequest.BodyPublishers.noBody()
          : HttpRequest.BodyPublishers.ofByteArray(body));
      AsyncContext async = request.startAsync();
      async.setTimeout(0);
      client.sendAsync(up.build(), info -> {
        response.setStatus(info.statusCode());
        response.setContentType(info.headers().firstValue("Content-Type").orElse("application/json"));
        return new Pipe(async, response);
      }).whenComplete((r, failure) -> {
        if (failure != null) {
          async.complete();
        }
      });
    }
  }

  /** The upstream body, written on as the browser's connection takes it; one item requested at a time. */
  private static final class Pipe implements HttpResponse.BodySubscriber<Void>, WriteListener {
    private final AsyncContext async;
    private final HttpServletResponse response;
    private final ArrayDeque<ByteBuffer> queue = new ArrayDeque<>();
    private final CompletableFuture<Void> done = new CompletableFuture<>();
    private ServletOutputStream out;
    private Flow.Subscription subscription;
    private boolean requested;
    private boolean flushDue;
    private boolean ended;
    private boolean completed;

    Pipe(AsyncContext async, HttpServletResponse response) {
      this.async = async;
      this.response = response;
    }

    @Override
    public CompletionStage<Void> getBody() {
      return done;
    }

    @Override
    public synchronized void onSubscribe(Flow.Subscription subscription) {
      this.subscription = subscription;
      try {
        out = response.getOutputStream();
      } catch (IOException e) {
        subscription.cancel();
        return;
      }
      out.setWriteListener(this); // Tomcat calls onWritePossible once, which requests the first item
    }

    @Override
    public synchronized void onNext(List<ByteBuffer> items) {
      requested = false;
      queue.addAll(items);
      drain();
    }

    /** The upstream body failed, or (as the WriteListener) the browser's connection did: end both. */
    @Override
    public synchronized void onError(Throwable throwable) {
      ended = true;
      done.completeExceptionally(throwable);
      subscription.cancel();
      if (!completed) {
        completed = true;
        async.complete();
      }
    }

    @Override
    public synchronized void onComplete() {
      ended = true;
      done.complete(null);
      drain();
    }

    @Override
    public synchronized void onWritePossible() {
      drain();
    }

    private void drain() {
      if (out == null || completed) {
        return;
      }
      try {
        while (out.isReady()) {
          ByteBuffer next = queue.poll();
          if (next != null) {
            byte[] bytes = new byte[next.remaining()];
            next.get(bytes);
            out.write(bytes);
            flushDue = true;
          } else if (flushDue) {
            flushDue = false;
            out.flush();
          } else if (ended) {
            completed = true;
            async.complete();
            return;
          } else {
            if (!requested) {
              requested = true;
              subscription.request(1);
            }
            return;
          }
        }
      } catch (IOException e) {
        completed = true;
        subscription.cancel();
        async.complete();
      }
    }
  }
}
