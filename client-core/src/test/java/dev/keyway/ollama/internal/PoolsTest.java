package dev.keyway.ollama.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.keyway.ollama.testkit.OllamaStandIn;
import dev.keyway.ollama.testkit.ScriptedModel;
import java.io.IOException;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import okhttp3.Call;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The spreading rule of {@link Pools}: one pool while few calls are open, every pool above
 * {@link Pools#SPREAD_ABOVE}, and the open-call count back to zero however calls end (read to
 * the end, closed half-read, failed to connect), so a client never stays spread after a burst.
 */
class PoolsTest {
  private final OllamaStandIn standIn = OllamaStandIn.builder().recordRequests(false)
      .model(ScriptedModel.named("slow").answer("one two three four").tokenDelay(Duration.ofMillis(200)))
      .model(ScriptedModel.named("quick").answer("Blue.")).build();
  private final Pools pools = Pools.owned(new OkHttpClient.Builder(), 32);
  private final List<Call> calls = new CopyOnWriteArrayList<>();

  @AfterEach
  void tearDown() {
    pools.evictOwned();
    standIn.close();
  }

  @Test
  void oneClientWhileFewCallsAreOpenEveryPoolAboveTheThreshold() throws Exception {
    List<Response> open = new ArrayList<>();
    try {
      open.addAll(streams(Pools.SPREAD_ABOVE - 1)); // the stand-in answers after a token's delay

      assertThat(pools.openCalls()).isEqualTo(Pools.SPREAD_ABOVE - 1);
      assertThat(picks()).as("clients picked below the threshold").hasSize(1);
      open.add(stream("slow"));
      assertThat(picks()).as("clients picked at the threshold").hasSize(Pools.POOLS);
    } finally {
      // Two closed half-read (OkHttp spends up to 100 ms each discarding), the rest cancelled.
      for (int i = 0; i < open.size(); i++) {
        if (i >= 2) {
          calls.get(i).cancel();
        }
        open.get(i).close();
      }
    }
    await("every closed stream to end its call").atMost(Duration.ofSeconds(10))
        .until(() -> pools.openCalls() == 0);
    assertThat(picks()).as("clients picked after the burst").hasSize(1);
  }

  /**
   * After a burst, the pools calls spread over keep the connections it used (up to their own
   * allowance), where the first keeps only the client's; with the client's allowance in every pool
   * they would close all but that many each, and the next burst would open them again.
   */
  @Test
  void theSpreadingPoolsKeepWhatABurstUsedTheFirstOnlyItsAllowance() throws Exception {
    int firstIdle = 4;
    Pools burstPools = Pools.owned(new OkHttpClient.Builder(), firstIdle, 64);
    try {
      List<Response> open = new ArrayList<>(streams(burstPools, 70));
      assertThat(burstPools.openCalls()).isEqualTo(70);
      open.addAll(streams(burstPools, 80)); // all spread: 70 calls are open while they pick
      for (Response r : open) {
        try (r) {
          assertThat(r.body().string()).contains("\"done\":true");
        }
      }
      List<OkHttpClient> clients = burstPools.clients();
      await("each pool's clean-up to close what exceeds its allowance").atMost(Duration.ofSeconds(10))
          .until(() -> clients.get(0).connectionPool().connectionCount() <= firstIdle
              && clients.stream().skip(1).allMatch(c -> c.connectionPool().connectionCount() <= 64));
      int spreadKept = clients.stream().skip(1).mapToInt(c -> c.connectionPool().idleConnectionCount()).sum();
      // 80 calls or more spread over 8 pools: some 70 landed in the seven others, about 10 each.
      assertThat(spreadKept).as("idle connections the spreading pools kept").isGreaterThan((Pools.POOLS - 1) * firstIdle);
      assertThat(clients.get(0).connectionPool().idleConnectionCount()).isLessThanOrEqualTo(firstIdle);
    } finally {
      burstPools.evictOwned();
    }
  }

  @Test
  void callsReadToTheEndAndCallsThatFailEndToo() throws IOException {
    for (int i = 0; i < 5; i++) {
      try (Response r = stream("quick")) {
        assertThat(r.body().string()).contains("\"done\":true");
      }
    }
    int closedPort;
    try (ServerSocket s = new ServerSocket(0)) {
      closedPort = s.getLocalPort();
    }
    Request refused = new Request.Builder().url("http://127.0.0.1:" + closedPort + "/api/version").build();
    for (int i = 0; i < 3; i++) {
      try (Response r = pools.pick().newCall(refused).execute()) {
        throw new AssertionError("connected to a closed port: " + r);
      } catch (IOException expected) {
        // refused
      }
    }
    assertThat(pools.openCalls()).isZero();
  }

  private List<Response> streams(int n) throws Exception {
    return streams(pools, n);
  }

  private List<Response> streams(Pools from, int n) throws Exception {
    ExecutorService threads = Executors.newFixedThreadPool(n);
    try {
      List<Future<Response>> opening = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        opening.add(threads.submit(() -> stream(from, "slow")));
      }
      List<Response> opened = new ArrayList<>();
      for (Future<Response> f : opening) {
        opened.add(f.get(10, TimeUnit.SECONDS));
      }
      return opened;
    } finally {
      threads.shutdownNow();
    }
  }

  private Response stream(String model) throws IOException {
    return stream(pools, model);
  }

  private Response stream(Pools from, String model) throws IOException {
    Request request = new Request.Builder().url(standIn.baseUrl() + "/api/chat")
        .post(RequestBody.create("{\"model\":\"" + model + "\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}",
            MediaType.get("application/json")))
        .build();
    Call call = from.pick().newCall(request);
    calls.add(call);
    Response response = call.execute();
    assertThat(response.code()).isEqualTo(200);
    return response;
  }

  private Set<OkHttpClient> picks() {
    Set<OkHttpClient> picked = new HashSet<>();
    for (int i = 0; i < 400; i++) {
      picked.add(pools.pick());
    }
    return picked;
  }
}
