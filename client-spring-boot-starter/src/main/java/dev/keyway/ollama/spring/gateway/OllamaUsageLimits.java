package dev.keyway.ollama.spring.gateway;

import jakarta.servlet.http.HttpServletRequest;

/**
 * The usage limits of {@code ollama.limits.*} for code: the bean the auto-configuration declares
 * when {@code ollama.limits.enabled=true}. The gateway and the routes named in
 * {@code ollama.limits.routes} use it by themselves; use it directly to limit anything else (a
 * WebSocket handler, a queue consumer) and to show a caller what it has left (an admin page):
 *
 * <pre>{@code
 * try (UsagePermit permit = limits.acquire(limits.callerId(request))) {
 *   ChatResponse answer = ollama.chat(chat);
 *   permit.charge(answer.promptEvalCount() + answer.evalCount());
 * } catch (UsageLimitException refused) {
 *   // refused.reason(), refused.retryAfter(), refused.status()
 * }
 * }</pre>
 *
 * <p>Caller ids are hashed before they reach the store, the audit log or a log line.
 */
public interface OllamaUsageLimits {

  /**
   * The caller id the gateway and the limited routes use for {@code request}: a
   * {@link CallerResolver} bean's answer when there is one, else {@code principal:<name>} for an
   * authenticated request, else {@code address:<remote address>}.
   */
  String callerId(HttpServletRequest request);

  /**
   * Admits one call for {@code callerId}: takes a request, holds tokens from the caller's quota
   * (up to {@code ollama.limits.tokens.reserve}) and an in-flight permit, each where configured.
   * Close the permit when the call ends, however it ends; tokens it {@linkplain
   * UsagePermit#charge charged} are then settled against the hold.
   *
   * @throws UsageLimitException when a limit refuses the call or the shared store cannot answer
   *     (its {@link UsageLimitException#reason()} says which); the refusal is audited and counted
   */
  UsagePermit acquire(String callerId);

  /**
   * What {@code callerId} has left in the current window and holds in flight, without taking
   * anything: one read per configured limit (round trips to Redis for the shared store).
   *
   * @throws UsageLimitException with reason {@code STORE_UNAVAILABLE} when the shared store cannot
   *     answer (the local fallback's figures are returned instead when store-failure=local)
   */
  CallerUsage usage(String callerId);
}
