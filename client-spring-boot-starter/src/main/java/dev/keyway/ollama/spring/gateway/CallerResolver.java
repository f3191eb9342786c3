package dev.keyway.ollama.spring.gateway;

import jakarta.servlet.http.HttpServletRequest;

/**
 * Names the caller a gateway request's usage limits apply to. Declare a bean of this type to
 * limit per API key id, per tenant, or anything else the request carries; without one, the caller
 * is the authenticated principal's name when there is one, else the client address the servlet
 * container reports ({@link HttpServletRequest#getRemoteAddr()}, correct behind a proxy only with
 * {@code server.forward-headers-strategy} set).
 *
 * <p>The id is hashed before it becomes a store key; it never reaches Redis, logs or metrics as
 * written. Called on the request thread for every limited request, so it should be quick.
 */
@FunctionalInterface
public interface CallerResolver {

  /**
   * Returns the caller's id for {@code request}, never null; requests with equal ids share one
   * set of limits.
   */
  String resolve(HttpServletRequest request);
}
