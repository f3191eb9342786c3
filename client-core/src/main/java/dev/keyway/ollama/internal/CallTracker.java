package dev.keyway.ollama.internal;

import dev.keyway.ollama.OllamaCallEvent;
import dev.keyway.ollama.OllamaCallListener;
import dev.keyway.ollama.OllamaCallObserver;
import dev.keyway.ollama.OllamaHttpException;
import dev.keyway.ollama.model.ChatResponse;
import dev.keyway.ollama.model.EmbedResponse;
import dev.keyway.ollama.model.GenerateResponse;
import java.lang.System.Logger.Level;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;
import org.jspecify.annotations.Nullable;

/** Times one call and reports it to the listener exactly once. */
final class CallTracker {
  private static final System.Logger LOG = System.getLogger("dev.keyway.ollama");
  static final CallTracker NONE = new CallTracker(null, "", null, false);

  private final @Nullable OllamaCallListener listener;
  private final String endpoint;
  private final @Nullable String model;
  private final boolean streamed;
  private final long start = System.nanoTime();
  private final AtomicBoolean ended = new AtomicBoolean();
  private volatile int status;
  private volatile long firstChunkNanos = -1;
  // Tracing (OllamaCallObserver): all null without an observer.
  private final @Nullable OllamaCallObserver observer;
  private final OllamaCallObserver.@Nullable CallInfo info;
  private final OllamaCallObserver.@Nullable UpstreamHeaders headers;
  private final boolean capturesContent;
  private volatile OllamaCallObserver.@Nullable Scope scope;
  private volatile @Nullable Throwable error;
  private volatile @Nullable Object answer;
  /**
   * Written only by the thread reading the stream, read by whichever thread ends the call: opaque
   * access (no tearing, no fence per chunk; a volatile increment fenced every chunk).
   */
  private long chunks;
  private static final VarHandle CHUNKS;

  static {
    try {
      CHUNKS = MethodHandles.lookup().findVarHandle(CallTracker.class, "chunks", long.class);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  CallTracker(@Nullable OllamaCallListener listener, String endpoint, @Nullable String model, boolean streamed) {
    this(listener, endpoint, model, streamed, null, null);
  }

  private CallTracker(@Nullable OllamaCallListener listener, String endpoint, @Nullable String model,
      boolean streamed, @Nullable OllamaCallObserver observer, OllamaCallObserver.@Nullable CallInfo info) {
    this.listener = listener;
    this.endpoint = endpoint;
    this.model = model;
    this.streamed = streamed;
    this.observer = observer;
    this.info = info;
    this.headers = observer == null ? null : new OllamaCallObserver.UpstreamHeaders();
    this.capturesContent = info != null && info.request() != null;
  }

  /** A tracker that also reports to {@code observer}; see {@link #begin}. */
  static CallTracker observed(@Nullable OllamaCallListener listener, OllamaCallObserver observer,
      OllamaCallObserver.CallInfo info) {
    return new CallTracker(listener, info.endpoint(), info.model(), info.streamed(), observer, info);
  }

  /**
   * The call is about to reach the network: starts the observer's scope. Called once, before the
   * first attempt, on the sending thread (so the observer sees the caller's current context).
   */
  void begin() {
    if (observer == null || info == null || headers == null || scope != null) {
      return;
    }
    try {
      scope = observer.start(info, headers);
    } catch (RuntimeException e) {
      LOG.log(Level.WARNING, "OllamaCallObserver.start threw; the call goes on unobserved", e);
    }
  }

  /** Headers the observer contributed for the upstream request, or {@code null} for none. */
  OllamaCallObserver.@Nullable UpstreamHeaders headers() {
    OllamaCallObserver.UpstreamHeaders h = headers;
    return h == null || h.isEmpty() ? null : h;
  }

  /** Whether anyone (a listener or an observer) hears of this call; false for {@link #NONE}. */
  boolean active() {
    return listener != null || observer != null;
  }

  /**
   * What a relayed answer's last JSON object said (a stream's done chunk, or the whole unary
   * answer): the relay reads only that object, not every chunk.
   */
  record RelayedUsage(@Nullable String model, @Nullable Integer inputTokens, @Nullable Integer outputTokens,
      @Nullable String doneReason, @Nullable Duration loadDuration) {}

  /** Whether the observer captures content: a stream then hands over its joined answer. */
  boolean capturesContent() {
    return capturesContent;
  }

  /** Whether an observer's scope is open: the call has started and not ended. */
  boolean observedAndOpen() {
    return scope != null && !ended.get();
  }

  /**
   * The caller left the call without ending it (an unclosed stream became unreachable): ends it
   * as cancelled. Returns whether this ended it (false when it had already ended).
   */
  boolean abandoned() {
    return end(OllamaCallEvent.OUTCOME_CANCELLED, null, null);
  }

  /**
   * The decoded answer (or a stream's done chunk, or its joined answer when content is captured),
   * for the observer's usage fields and content.
   */
  void answered(Object reply) {
    if (observer != null) {
      answer = reply;
    }
  }

  static CallTracker start(
      @Nullable OllamaCallListener listener, String endpoint, @Nullable String model, boolean streamed) {
    return listener == null ? NONE : new CallTracker(listener, endpoint, model, streamed);
  }

  void status(int code) {
    status = code;
  }

  /** A chunk of a stream was read (the first one times {@code timeToFirstChunk}). */
  void chunk() {
    if (firstChunkNanos < 0 && (listener != null || observer != null)) {
      firstChunkNanos = System.nanoTime();
      OllamaCallObserver.Scope s = scope;
      if (s != null) {
        try {
          s.onFirstChunk();
        } catch (RuntimeException e) {
          LOG.log(Level.WARNING, "OllamaCallObserver.Scope.onFirstChunk threw; ignored", e);
        }
      }
    }
  }

  /** A content chunk (not the final {@code done} chunk) was handed to the caller. */
  void delivered() {
    if (listener != null) {
      CHUNKS.setOpaque(this, chunks + 1); // single writer: the thread reading the stream
    }
  }

  void success(@Nullable Integer generatedTokens) {
    success(null, generatedTokens);
  }

  void success(@Nullable Integer promptTokens, @Nullable Integer generatedTokens) {
    end(OllamaCallEvent.OUTCOME_SUCCESS, promptTokens, generatedTokens);
  }

  void failure(Throwable e) {
    if (e instanceof OllamaHttpException http) {
      status = http.status();
    }
    error = e;
    end(OllamaCallEvent.outcomeOf(e), null, null);
  }

  void cancelled() {
    end(OllamaCallEvent.OUTCOME_CANCELLED, null, null);
  }

  private boolean end(String outcome, @Nullable Integer promptTokens, @Nullable Integer tokens) {
    if ((listener == null && observer == null) || !ended.compareAndSet(false, true)) {
      return false;
    }
    long now = System.nanoTime();
    observed(outcome, now);
    if (listener == null) {
      return true;
    }
    Duration ttfc = streamed && firstChunkNanos >= 0 ? Duration.ofNanos(firstChunkNanos - start) : null;
    OllamaCallEvent event = new OllamaCallEvent(endpoint, model, streamed, outcome, status,
        Duration.ofNanos(now - start), ttfc, tokens, promptTokens, streamed ? (long) CHUNKS.getOpaque(this) : 0);
    try {
      listener.onCallEnd(event);
    } catch (RuntimeException e) {
      LOG.log(Level.WARNING, "OllamaCallListener threw; ignored", e);
    }
    return true;
  }

  private void observed(String outcome, long now) {
    OllamaCallObserver.Scope s = scope;
    if (s == null) {
      return;
    }
    Object a = answer;
    String responseModel = null;
    Integer input = null;
    Integer output = null;
    String doneReason = null;
    Duration load = null;
    if (a instanceof ChatResponse chat) {
      responseModel = chat.model();
      input = chat.promptEvalCount();
      output = chat.evalCount();
      doneReason = chat.doneReason();
      load = chat.loadDuration();
    } else if (a instanceof GenerateResponse generate) {
      responseModel = generate.model();
      input = generate.promptEvalCount();
      output = generate.evalCount();
      doneReason = generate.doneReason();
      load = generate.loadDuration();
    } else if (a instanceof EmbedResponse embed) {
      responseModel = embed.model();
      input = embed.promptEvalCount();
      load = embed.loadDuration();
    } else if (a instanceof RelayedUsage relayed) {
      responseModel = relayed.model();
      input = relayed.inputTokens();
      output = relayed.outputTokens();
      doneReason = relayed.doneReason();
      load = relayed.loadDuration();
    }
    long first = firstChunkNanos;
    Duration ttfc = streamed && first >= 0 ? Duration.ofNanos(first - start) : null;
    boolean answered = OllamaCallEvent.OUTCOME_SUCCESS.equals(outcome);
    OllamaCallObserver.CallResult result = new OllamaCallObserver.CallResult(outcome, status,
        Duration.ofNanos(now - start), error, responseModel == null || responseModel.isEmpty() ? null : responseModel,
        input, output, doneReason, ttfc, load, capturesContent && answered ? a : null);
    try {
      s.onEnd(result);
    } catch (RuntimeException e) {
      LOG.log(Level.WARNING, "OllamaCallObserver.Scope.onEnd threw; ignored", e);
    }
  }
}
