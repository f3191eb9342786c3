package dev.keyway.ollama.spring.gateway;

import jakarta.servlet.Filter;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletRequest;
import jakarta.servlet.ServletResponse;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import org.jspecify.annotations.Nullable;
import org.springframework.security.web.firewall.HttpFirewall;
import org.springframework.security.web.firewall.RequestRejectedException;
import org.springframework.security.web.firewall.RequestRejectedHandler;

/**
 * Runs Spring Security's firewall on the gateway's path before Spring Security does. The gateway
 * is a servlet of its own, and for a request mapped to it Spring Security's request matching reads
 * the raw request URI before its firewall runs: a URI such as {@code //ollama/api/chat},
 * {@code /./ollama/…} or {@code /ollama;x=1/…} made it throw there, and the container answered 500
 * with a stack trace at ERROR for each such request (a lever to flood the log). Here the same
 * firewall refuses the request first.
 *
 * <p>The firewall is the application's {@link HttpFirewall} bean when it has one (the one Spring
 * Security uses), else a default {@code StrictHttpFirewall}. A refusal goes to the application's
 * {@link RequestRejectedHandler} bean when it has one, else it is answered 400 with Ollama's error
 * shape and logged at DEBUG. Registered inside {@link GatewayDenialFilter}, so the 400 is audited
 * as {@link GatewayDenials#BAD_REQUEST}.
 */
final class GatewayFirewallFilter implements Filter {
  private static final System.Logger LOG = System.getLogger(GatewayFirewallFilter.class.getName());
  static final String MESSAGE = "the firewall refused this request: its path is not in plain form (it holds //, "
      + "/./, /../, a ';', an encoded '/' or '.', or a control character), or its method or a header is not accepted";

  private final HttpFirewall firewall;
  private final @Nullable RequestRejectedHandler handler;

  GatewayFirewallFilter(HttpFirewall firewall, @Nullable RequestRejectedHandler handler) {
    this.firewall = firewall;
    this.handler = handler;
  }

  @Override
  public void doFilter(ServletRequest req, ServletResponse res, FilterChain chain)
      throws IOException, ServletException {
    if (req instanceof HttpServletRequest request && res instanceof HttpServletResponse response) {
      try {
        firewall.getFirewalledRequest(request);
      } catch (RequestRejectedException rejected) {
        refuse(request, response, rejected);
        return;
      }
    }
    chain.doFilter(req, res);
  }

  private void refuse(HttpServletRequest request, HttpServletResponse response, RequestRejectedException rejected)
      throws IOException, ServletException {
    if (handler != null) {
      handler.handle(request, response, rejected);
      return;
    }
    LOG.log(System.Logger.Level.DEBUG, () -> "gateway: refused " + GatewayDenials.printable(request.getMethod()) + " "
        + GatewayDenials.printable(request.getRequestURI()) + " (firewall): "
        + GatewayDenials.printable(String.valueOf(rejected.getMessage())));
    OllamaGatewayServlet.error(response, HttpServletResponse.SC_BAD_REQUEST, MESSAGE);
  }
}
