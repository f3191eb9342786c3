package dev.keyway.bench;

import io.netty.handler.codec.http.HttpHeaderNames;
import reactor.core.publisher.Mono;
import reactor.netty.DisposableServer;
import reactor.netty.http.client.HttpClient;
import reactor.netty.http.server.HttpServer;
import reactor.netty.resources.ConnectionProvider;

/**
 * A third floor for {@code streams2000 --gateways netty-relay}, a spike and not a proxy anyone
 * should run: the event-driven relay built on an event-loop HTTP client and server (Reactor Netty,
 * epoll where available), each upstream body chunk written on and flushed as it arrives. None of
 * Keyway's checks are in it. Prints {@code RELAY-PORT <port>}. Argument: the upstream's port.
 */
final class NettyRelay {
  public static void main(String[] args) {
    // Reactor Netty's default pool holds 500 connections: room for every stream instead
    ConnectionProvider pool = ConnectionProvider.builder("relay").maxConnections(10_000)
        .pendingAcquireMaxCount(-1).build();
    HttpClient client = HttpClient.create(pool).baseUrl("http://127.0.0.1:" + args[0]);
    DisposableServer server = HttpServer.create().host("127.0.0.1").port(0)
        .handle((request, response) -> request.receive().aggregate().asByteArray()
            .defaultIfEmpty(new byte[0])
            .flatMapMany(body -> client
                .headers(h -> {
                  h.set(HttpHeaderNames.CONTENT_TYPE, "application/json");
                  String accept = request.requestHeaders().get(HttpHeaderNames.ACCEPT);
                  if (accept != null) {
                    h.set(HttpHeaderNames.ACCEPT, accept);
                  }
                })
                .request(request.method())
                .uri(request.uri())
                .send((req, out) -> out.sendByteArray(Mono.just(body)))
                .response((head, content) -> {
                  response.status(head.status());
                  String type = head.responseHeaders().get(HttpHeaderNames.CONTENT_TYPE);
                  response.header(HttpHeaderNames.CONTENT_TYPE, type == null ? "application/json" : type);
                  // one flush per upstream chunk: a token goes on as it arrives
                  return response.send(content.retain(), chunk -> true).then();
                })))
        .bindNow();
    System.out.println("RELAY-PORT " + server.port());
    System.out.flush();
    server.onDispose().block();
  }
}
