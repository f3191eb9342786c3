package dev.keyway.ollama.spring.gateway;

import dev.keyway.ollama.OllamaCallEvent;
import dev.keyway.ollama.OllamaCallListener;
import jakarta.servlet.AsyncEvent;
import jakarta.servlet.AsyncListener;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletMapping;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.util.Set;
import org.jspecify.annotations.Nullable;
import org.springframework.web.filter.OncePerRequestFilter;

/**
 * Applies {@code ollama.limits.*} to the application's own routes ({@code ollama.limits.routes}):
 * the same per-caller buckets, in-flight cap, refusals (429 with {@code Retry-After} and
 * {@code {"error": ...}}, or 503 when the shared store is down), audit events and metrics as the
 * gateway's model calls, with the same caller identity. Registered after Spring Security's filter
 * chain, so an authenticated principal is known.
 *
 * <p>What is charged: while the request's handler runs, this filter binds a usage scope to the
 * request's thread. Every chat, generate or embed call of the auto-configured {@code OllamaClient}
 * that <em>ends on that thread</em> adds to it: {@code prompt_eval_count + eval_count} when the
 * answer carried them, else (a stream closed early, a stream that broke) one token per content
 * chunk delivered. When the handler returns or throws, the sum is charged and the in-flight permit
 * is released. A call that ends on another thread is <strong>not</strong> charged: the async
 * {@code StreamHandler} API, a {@code Flow.Publisher}, a stream read on an executor, or a
 * {@code StreamingResponseBody}/{@code SseEmitter} filled on another thread. For an asynchronous
 * request the permit is held until the async processing completes, but only what ended on the
 * request thread is charged.
 *
 * <p>Requests mapped to the gateway servlet are skipped even when a pattern covers them: the
 * gateway applies the limits itself (and its relayed calls never reach a client listener).
 */
final class RouteLimitsFilter extends OncePerRequestFilter {
  /** The name the gateway servlet is registered under. */
  static final String GATEWAY_SERVLET = "ollamaGateway";
  private static final Set<String> MODEL_ENDPOINTS = Set.of("api/chat", "api/generate", "api/embed");

  private final GatewayLimits limits;
  private final ThreadLocal<Usage> current = new ThreadLocal<>();

  RouteLimitsFilter(GatewayLimits limits) {
    this.limits = limits;
  }

  /** Tokens used by one request, touched only by the thread it is bound to. */
  static final class Usage {
    // Written by the request's thread only; volatile for an async listener that reads it at the end.
    volatile long tokens;
  }

  /** The listener the auto-configured client reports to: charges the scope bound to the ending thread. */
  OllamaCallListener listener() {
    return this::charge;
  }

  void charge(OllamaCallEvent event) {
    @Nullable Usage usage = current.get();
    if (usage == null || !MODEL_ENDPOINTS.contains(event.endpoint())) {
      return;
    }
    usage.tokens += tokensOf(event);
  }

  /** {@code prompt_eval_count + eval_count} when either is known, else the chunks delivered. */
  static long tokensOf(OllamaCallEvent event) {
    Integer prompt = event.promptTokens();
    Integer generated = event.generatedTokens();
    if (prompt == null && generated == null) {
      return event.chunks();
    }
    return (prompt == null ? 0L : prompt) + (generated == null ? 0L : generated);
  }

  @Override
  protected boolean shouldNotFilter(HttpServletRequest request) {
    HttpServletMapping mapping = request.getHttpServletMapping();
    return mapping != null && GATEWAY_SERVLET.equals(mapping.getServletName());
  }

  @Override
  protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
      throws ServletException, IOException {
    // The raw request URI: still percent-encoded, but of any length; audit events get it bounded.
    GatewayLimits.Admission admission = limits.admit(request, response,
        GatewayDenials.printable(request.getRequestURI()), null);
    if (admission == null) {
      return; // the refusal is written
    }
    Usage usage = new Usage();
    @Nullable Usage outer = current.get();
    current.set(usage);
    boolean async = false;
    try {
      chain.doFilter(request, response);
    } finally {
      if (outer == null) {
        current.remove();
      } else {
        current.set(outer);
      }
      if (request.isAsyncStarted()) {
        try {
          request.getAsyncContext().addListener(new Finish(admission, usage));
          async = true;
        } catch (IllegalStateException completed) {
          // async processing already ended: finish below
        }
      }
      if (!async) {
        admission.finish(usage.tokens);
      }
    }
  }

  /** Finishes an asynchronous request's admission when its async processing ends, however it ends. */
  private static final class Finish implements AsyncListener {
    private final GatewayLimits.Admission admission;
    private final Usage usage;

    Finish(GatewayLimits.Admission admission, Usage usage) {
      this.admission = admission;
      this.usage = usage;
    }

    @Override
    public void onComplete(AsyncEvent event) {
      admission.finish(usage.tokens);
    }

    @Override
    public void onTimeout(AsyncEvent event) {
      admission.finish(usage.tokens);
    }

    @Override
    public void onError(AsyncEvent event) {
      admission.finish(usage.tokens);
    }

    @Override
    public void onStartAsync(AsyncEvent event) {}
  }
}
