package dev.keyway.ollama.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.keyway.ollama.OllamaCallEvent;
import dev.keyway.ollama.OllamaCallObserver;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import okhttp3.Call;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * What the cleaner does for a stream dropped while open, run directly (waiting for the garbage
 * collector would make the test depend on its pace).
 */
@Timeout(10)
class StreamAbandonTest {
  final List<OllamaCallObserver.CallResult> ended = new CopyOnWriteArrayList<>();
  final OllamaCallObserver observer = (call, headers) -> ended::add;
  final Call call = new OkHttpClient().newCall(new Request.Builder().url("http://127.0.0.1:9/api/chat").build());

  CallTracker begun() {
    CallTracker tracker = CallTracker.observed(null, observer,
        new OllamaCallObserver.CallInfo("api/chat", "llama3.2", true, null, "127.0.0.1", 9));
    tracker.begin();
    return tracker;
  }

  @Test
  void anAbandonedOpenStreamEndsCancelledAndItsCallIsCancelled() {
    CallTracker tracker = begun();
    assertThat(tracker.observedAndOpen()).isTrue();
    new NdjsonStream.Abandon(tracker, call, new NdjsonStream.Watch(call, 0)).run();
    assertThat(ended).singleElement()
        .satisfies(r -> assertThat(r.outcome()).isEqualTo(OllamaCallEvent.OUTCOME_CANCELLED));
    assertThat(call.isCanceled()).isTrue();
    assertThat(tracker.observedAndOpen()).isFalse();
  }

  /** Unobserved, but held by the stall watch: the cleaner frees the watch and cancels the call. */
  @Test
  void anAbandonedUnobservedStreamLeavesTheStallWatchAndItsCallIsCancelled() {
    NdjsonStream.Watch watch = new NdjsonStream.Watch(call, 60_000_000_000L);
    StallWatch.INSTANCE.add(watch);
    new NdjsonStream.Abandon(CallTracker.NONE, call, watch).run();
    assertThat(StallWatch.INSTANCE.watches(watch)).isFalse();
    assertThat(call.isCanceled()).isTrue();
  }

  @Test
  void aStreamThatHadEndedIsLeftAlone() {
    CallTracker tracker = begun();
    tracker.success(1, 2);
    NdjsonStream.Watch watch = new NdjsonStream.Watch(call, 0);
    watch.done = true; // as the stream's end sets it
    new NdjsonStream.Abandon(tracker, call, watch).run();
    assertThat(ended).singleElement()
        .satisfies(r -> assertThat(r.outcome()).isEqualTo(OllamaCallEvent.OUTCOME_SUCCESS));
    assertThat(call.isCanceled()).isFalse();
  }
}
