package dev.keyway.ollama.spring.gateway;

import jakarta.servlet.http.HttpServletRequest;
import java.security.Principal;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * Tells every refusal on the gateway's path to the denial sinks (audit events, the
 * {@code ollama.gateway.denied} counter): those the gateway writes itself ({@link
 * OllamaGatewayServlet}) and, through {@link GatewayDenialFilter}, those written before the gateway
 * is reached (Spring Security's 401 and 403, a refused CORS request). The usage limits tell their
 * own ({@link GatewayLimits}) through the same kind of sinks.
 *
 * <p>A denial carries a reason from the constants below (low cardinality: it is the metric's only
 * tag), the caller's hash, the principal's name when the caller is authenticated, the path under
 * the gateway and the model when it is known and plain. Never a credential, never the body.
 */
final class GatewayDenials {
  /** Spring Security (or another filter) answered 401: no or wrong credentials. */
  static final String UNAUTHENTICATED = "unauthenticated";
  /** Spring Security (or another filter) answered 403 to a same-site or non-browser caller. */
  static final String FORBIDDEN = "forbidden";
  /** A CORS request (preflight or actual) from an origin not in {@code ollama.gateway.allowed-origins}, refused by Spring's CORS processing. */
  static final String CORS = "cors";
  /** The gateway's own cross-site check refused a foreign {@code Origin} (403). */
  static final String CROSS_SITE = "cross-site";
  /** A POST that is not {@code application/json} (415). */
  static final String MEDIA_TYPE = "media-type";
  /** A body over {@code ollama.gateway.max-request-size} (413). */
  static final String TOO_LARGE = "too-large";
  /** A model outside {@code allowed-models}, or a field or option the gateway does not let through. */
  static final String NOT_ALLOWED = "not-allowed";
  /** A body that is not a JSON object Ollama would read as sent (400). */
  static final String BAD_REQUEST = "bad-request";

  /**
   * Request attribute set once the gateway's servlet has the request: from then on every refusal
   * is told by the gateway (or the limits) itself, and {@link GatewayDenialFilter} tells none.
   */
  static final String REACHED = GatewayDenials.class.getName() + ".REACHED";

  /** Longest path or model name an event carries; longer ones are cut (paths) or left out (models). */
  static final int MAX_TEXT = 200;

  /** No sinks: nothing is told. */
  static final GatewayDenials NONE = new GatewayDenials(List.of(), null, CallerHash.PLAIN);

  private static final System.Logger LOG = System.getLogger(GatewayDenials.class.getName());

  private final List<GatewayLimits.DenialSink> sinks;
  private final @Nullable CallerResolver resolver;
  private final CallerHash callers;

  GatewayDenials(List<GatewayLimits.DenialSink> sinks, @Nullable CallerResolver resolver, CallerHash callers) {
    this.sinks = List.copyOf(sinks);
    this.resolver = resolver;
    this.callers = callers;
  }

  /** Whether any sink listens (false: refusals are not even looked at). */
  boolean tells() {
    return !sinks.isEmpty();
  }

  /** Tells a refusal of {@code request}, whose principal (if any) the request itself reports. */
  void deny(HttpServletRequest request, String reason, String path, @Nullable String model) {
    Principal principal = request.getUserPrincipal();
    deny(request, reason, path, model, principal == null ? null : principal.getName());
  }

  /** Tells a refusal of {@code request} by {@code principalName} (null: not authenticated). */
  void deny(HttpServletRequest request, String reason, String path, @Nullable String model,
      @Nullable String principalName) {
    if (sinks.isEmpty()) {
      return;
    }
    GatewayLimits.Denial denial = new GatewayLimits.Denial(reason, caller(request, principalName), principalName,
        printable(path), plainModel(model));
    for (GatewayLimits.DenialSink sink : sinks) {
      try {
        sink.denied(denial);
      } catch (RuntimeException e) {
        LOG.log(System.Logger.Level.WARNING, "gateway: a denial listener failed: " + e.getClass().getName());
      }
    }
  }

  /**
   * The caller's hash as {@link GatewayLimits} computes it: the {@link CallerResolver}'s id when
   * there is one (falling back to the address if it fails), else the principal's name, else the
   * client address.
   */
  private String caller(HttpServletRequest request, @Nullable String principalName) {
    if (resolver != null) {
      try {
        return callers.hash("resolved:" + resolver.resolve(request));
      } catch (RuntimeException e) {
        // A resolver written for admitted requests may not expect an unauthenticated one.
        LOG.log(System.Logger.Level.DEBUG, () -> "gateway: caller resolver failed: " + e.getClass().getName());
      }
    }
    return callers.hash(principalName != null ? "principal:" + principalName
        : "address:" + request.getRemoteAddr());
  }

  /** The model when it is a plain name of reasonable length (what the allow-list could match), else null. */
  static @Nullable String plainModel(@Nullable String model) {
    return model != null && model.length() <= MAX_TEXT && ModelPolicy.isPlain(model) ? model : null;
  }

  /**
   * {@code path} cut to {@link #MAX_TEXT} characters, anything but printable ASCII as {@code ?}:
   * a path refused by a firewall can hold decoded control characters, which a log of audit events
   * must not receive.
   */
  static String printable(String path) {
    StringBuilder out = new StringBuilder(Math.min(path.length(), MAX_TEXT));
    for (int i = 0; i < path.length() && i < MAX_TEXT; i++) {
      char c = path.charAt(i);
      out.append(c >= 0x20 && c < 0x7f ? c : '?');
    }
    return out.toString();
  }

  /** The path under the gateway: what {@link GatewayLimits} reports, for example {@code /api/chat}. */
  static String path(HttpServletRequest request) {
    return request.getPathInfo() == null ? "/" : request.getPathInfo();
  }
}
