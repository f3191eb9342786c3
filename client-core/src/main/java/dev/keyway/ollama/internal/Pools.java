package dev.keyway.ollama.internal;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import okhttp3.Call;
import okhttp3.ConnectionPool;
import okhttp3.EventListener;
import okhttp3.OkHttpClient;

/**
 * The OkHttp clients a call may go through: the caller's own client alone, or, when the client
 * owns its connections, {@value #POOLS} clients that differ only in their connection pool.
 *
 * <p>Why several: OkHttp 4's pool scans every connection it holds, busy or idle, when a call looks
 * for one and when a call ends. With thousands of streams open through a gateway that scan was a
 * fifth of the process's CPU. While fewer than {@value #SPREAD_ABOVE} calls are open every call
 * uses the first pool, so connection reuse is exactly a single pool's; above that a call picks a
 * pool at random and each scan covers about an eighth of the connections.
 *
 * <p>Idle connections: the first pool keeps the client's allowance ({@code maxIdle}) for five
 * minutes, as one pool always did. The other pools fill only while calls are spread, so what they
 * hold is what the last burst needed: each keeps up to {@value #SPREAD_IDLE} idle connections
 * and closes any that stayed idle for {@value #SPREAD_KEEP_ALIVE_SECONDS} s. A burst of
 * thousands of streams that ends and starts again (users asking their next question) thus finds
 * its connections open, instead of each pool closing all but {@code maxIdle} of them and the next
 * burst opening them again: measured on the 2,000-stream benchmark, that opening and closing cost
 * about a tenth of the gateway's CPU.
 */
final class Pools {
  static final int POOLS = 8;
  /** Open calls beyond which calls spread over the pools. */
  static final int SPREAD_ABOVE = 64;
  /** Idle connections each pool but the first keeps. */
  static final int SPREAD_IDLE = 256;
  /** How long a connection may stay idle in a pool but the first. */
  static final int SPREAD_KEEP_ALIVE_SECONDS = 60;

  private final List<OkHttpClient> clients;
  /** Calls started and not yet ended (OkHttp's callEnd/callFailed), only when spreading. */
  private final AtomicInteger open = new AtomicInteger();

  private Pools(List<OkHttpClient> clients) {
    this.clients = clients;
  }

  /** The caller's client: its pool is theirs, calls all go through it. */
  static Pools callers(OkHttpClient client) {
    return new Pools(List.of(client));
  }

  /**
   * Our own pools, built from {@code builder} (which must not carry a pool or an event listener
   * of the caller's): the first keeping up to {@code maxIdle} idle connections, the others
   * {@value #SPREAD_IDLE} each for {@value #SPREAD_KEEP_ALIVE_SECONDS} s. Below the spreading
   * threshold only the first pool is used, so only it holds idle connections; under thousands of
   * calls each pool needs its own idle allowance, or a call that picks a pool with none idle at
   * that moment opens a connection (and one ending in a full pool closes its own).
   */
  static Pools owned(OkHttpClient.Builder builder, int maxIdle) {
    return owned(builder, maxIdle, SPREAD_IDLE);
  }

  /** {@link #owned(OkHttpClient.Builder, int)} with the other pools' allowance {@code spreadIdle}. */
  static Pools owned(OkHttpClient.Builder builder, int maxIdle, int spreadIdle) {
    Pools pools = new Pools(new ArrayList<>(POOLS));
    EventListener counting = new EventListener() {
      @Override
      public void callStart(Call call) {
        pools.open.incrementAndGet();
      }

      @Override
      public void callEnd(Call call) {
        pools.open.decrementAndGet();
      }

      @Override
      public void callFailed(Call call, java.io.IOException ioe) {
        pools.open.decrementAndGet();
      }
    };
    OkHttpClient first = builder.eventListener(counting)
        .connectionPool(new ConnectionPool(maxIdle, 5, TimeUnit.MINUTES)).build();
    pools.clients.add(first);
    for (int i = 1; i < POOLS; i++) {
      pools.clients.add(first.newBuilder()
          .connectionPool(new ConnectionPool(spreadIdle, SPREAD_KEEP_ALIVE_SECONDS, TimeUnit.SECONDS)).build());
    }
    return pools;
  }

  /** The client for the next call. */
  OkHttpClient pick() {
    int n = clients.size();
    if (n == 1 || open.get() < SPREAD_ABOVE) {
      return clients.get(0);
    }
    return clients.get(ThreadLocalRandom.current().nextInt(n));
  }

  /** All the clients, the first first: for tests of the idle allowances. */
  List<OkHttpClient> clients() {
    return List.copyOf(clients);
  }

  /** Any of the clients (they differ only in their pool): for settings such as timeouts. */
  OkHttpClient first() {
    return clients.get(0);
  }

  /** Closes the idle connections of pools this client owns. */
  void evictOwned() {
    if (clients.size() > 1) {
      for (OkHttpClient client : clients) {
        client.connectionPool().evictAll();
      }
    }
  }

  /** Open calls counted (only for owned pools), for tests of the spreading rule. */
  int openCalls() {
    return open.get();
  }
}
