package dev.keyway.bench;

import java.util.concurrent.atomic.AtomicInteger;

/** Sanity check: every client streams and chats against an in-process stand-in with the right counts. */
final class Check {
  private Check() {}

  static void run(String... clients) {
    try (StandIn standIn = StandIn.start()) {
      for (String name : clients.length == 0 ? BenchClient.ALL.toArray(String[]::new) : clients) {
        try (BenchClient client = BenchClient.create(name, standIn.baseUrl())) {
          int fast = count(client, "bench-1000");
          int recorded = count(client, "basic");
          long t0 = System.nanoTime();
          int rate = count(client, "rate-5-50");
          long rateMs = (System.nanoTime() - t0) / 1_000_000;
          String unary = client.chat("basic");
          System.out.printf("%-13s bench-1000: %d tokens, basic: %d tokens, rate-5-50: %d tokens in %d ms, chat: %s%n",
              name, fast, recorded, rate, rateMs, unary);
          if (fast != 1000 || recorded != 5 || rate != 5 || !"Hello! How are you today?".equals(unary)) {
            throw new IllegalStateException(name + " delivered the wrong answer");
          }
        }
      }
    }
  }

  static int count(BenchClient client, String model) {
    AtomicInteger n = new AtomicInteger();
    AtomicInteger done = new AtomicInteger();
    client.stream(model, new BenchClient.Listener() {
      @Override
      public void onToken(String content) {
        if (content == null || content.isEmpty()) {
          throw new IllegalStateException("empty token");
        }
        n.incrementAndGet();
      }

      @Override
      public void onDone() {
        done.incrementAndGet();
      }
    });
    if (done.get() != 1) {
      throw new IllegalStateException("onDone called " + done.get() + " times");
    }
    return n.get();
  }
}
