package dev.keyway.ollama.spring.gateway;

import com.fasterxml.jackson.core.JsonFactoryBuilder;
import com.fasterxml.jackson.core.util.BufferRecycler;
import com.fasterxml.jackson.core.util.JsonRecyclerPools;
import com.fasterxml.jackson.core.util.RecyclerPool;

/**
 * Where the gateway's JSON factories come from: they share one bounded pool of Jackson's read and
 * write buffers. Jackson's default pool is per thread, and virtual request threads are new for
 * every request, so each call would allocate its own: about 24 KB a call, the largest single part
 * of the gateway's allocation at 2,000 streams (docs/benchmarks.md). A call returns its buffers
 * when its parser or generator closes; past {@value #POOLED} pooled sets, extra ones are left to
 * the collector.
 */
final class GatewayJson {
  static final int POOLED = 64;
  static final RecyclerPool<BufferRecycler> BUFFERS = JsonRecyclerPools.newBoundedPool(POOLED);

  private GatewayJson() {}

  /** A factory builder on the shared pool. */
  static JsonFactoryBuilder factory() {
    JsonFactoryBuilder builder = new JsonFactoryBuilder();
    builder.recyclerPool(BUFFERS);
    return builder;
  }
}
