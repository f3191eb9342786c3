package dev.keyway.ollama.spring.gateway;

import jakarta.servlet.Filter;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletRequest;
import jakarta.servlet.ServletResponse;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import jakarta.servlet.http.HttpServletResponseWrapper;
import java.io.IOException;
import java.util.Collections;
import java.util.List;
import org.jspecify.annotations.Nullable;
import org.springframework.security.authentication.AnonymousAuthenticationToken;
import org.springframework.security.core.Authentication;
import org.springframework.security.core.context.SecurityContextHolder;

/**
 * Tells the refusals written on the gateway's path before the gateway's servlet is reached: Spring
 * Security's 401 ({@link GatewayDenials#UNAUTHENTICATED}) and 403 ({@link GatewayDenials#FORBIDDEN}),
 * a CORS request refused by Spring's CORS processing (403 with a foreign {@code Origin}: {@link
 * GatewayDenials#CORS}), and a 400 or 413 from the container or a firewall. Registered ahead of
 * Spring Security's filter chain on {@code ollama.gateway.path}; it reads the status once the
 * chain has returned, and does nothing when the servlet had the request (which tells its own).
 *
 * <p>Nothing is buffered: the response passes through a plain wrapper, which only notes, when a
 * refusal status is set, the name of the user Spring Security had authenticated at that moment
 * (the security context is cleared by the time the chain returns).
 */
final class GatewayDenialFilter implements Filter {
  private static final boolean SECURITY = isPresent("org.springframework.security.core.context.SecurityContextHolder");

  private final GatewayDenials denials;
  private final CrossSiteGuard origins;

  GatewayDenialFilter(GatewayDenials denials, CrossSiteGuard origins) {
    this.denials = denials;
    this.origins = origins;
  }

  @Override
  public void doFilter(ServletRequest req, ServletResponse res, FilterChain chain)
      throws IOException, ServletException {
    if (!(req instanceof HttpServletRequest request) || !(res instanceof HttpServletResponse response)) {
      chain.doFilter(req, res);
      return;
    }
    PrincipalNoting noting = SECURITY ? new PrincipalNoting(response) : null;
    try {
      chain.doFilter(request, noting != null ? noting : response);
    } finally {
      if (request.getAttribute(GatewayDenials.REACHED) == null) {
        String reason = reason(request, response.getStatus());
        if (reason != null) {
          denials.deny(request, reason, GatewayDenials.path(request), null,
              noting != null ? noting.principal : null);
        }
      }
    }
  }

  /** The reason for a refusal status written before the servlet, or null when it is none. */
  @Nullable String reason(HttpServletRequest request, int status) {
    return switch (status) {
      case 400 -> GatewayDenials.BAD_REQUEST;
      case 401 -> GatewayDenials.UNAUTHENTICATED;
      case 403 -> foreignOrigin(request) ? GatewayDenials.CORS : GatewayDenials.FORBIDDEN;
      case 413 -> GatewayDenials.TOO_LARGE;
      default -> null;
    };
  }

  /** An {@code Origin} header that is neither listed nor the request's own origin. */
  private boolean foreignOrigin(HttpServletRequest request) {
    List<String> given = Collections.list(request.getHeaders("Origin"));
    if (given.isEmpty()) {
      return false;
    }
    String origin = given.size() == 1 ? CrossSiteGuard.normalize(given.get(0)) : null;
    return origin == null
        || !origins.allowedOrigins().contains(origin) && !origin.equals(CrossSiteGuard.ownOrigin(request));
  }

  private static boolean isPresent(String className) {
    try {
      Class.forName(className, false, GatewayDenialFilter.class.getClassLoader());
      return true;
    } catch (ClassNotFoundException | LinkageError e) {
      return false;
    }
  }

  /** Notes Spring Security's authenticated user when a refusal status is set; delegates everything. */
  static final class PrincipalNoting extends HttpServletResponseWrapper {
    @Nullable String principal;

    PrincipalNoting(HttpServletResponse response) {
      super(response);
    }

    @Override
    public void setStatus(int sc) {
      note(sc);
      super.setStatus(sc);
    }

    @Override
    public void sendError(int sc) throws IOException {
      note(sc);
      super.sendError(sc);
    }

    @Override
    public void sendError(int sc, String msg) throws IOException {
      note(sc);
      super.sendError(sc, msg);
    }

    private void note(int sc) {
      if ((sc == 400 || sc == 401 || sc == 403 || sc == 413) && principal == null) {
        principal = SpringSecurity.user();
      }
    }
  }

  /** The only place Spring Security's types are used; loaded only when they are present. */
  private static final class SpringSecurity {
    /** The name of the user authenticated on this thread now, or null (none, or anonymous). */
    static @Nullable String user() {
      Authentication authentication = SecurityContextHolder.getContext().getAuthentication();
      if (authentication == null) {
        // getContext() stores an empty context when there was none (no security chain ran):
        // leave none behind on the container's thread.
        SecurityContextHolder.clearContext();
        return null;
      }
      return authentication.isAuthenticated() && !(authentication instanceof AnonymousAuthenticationToken)
          ? authentication.getName() : null;
    }
  }
}
