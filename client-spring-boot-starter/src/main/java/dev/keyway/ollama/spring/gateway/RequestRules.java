package dev.keyway.ollama.spring.gateway;

import java.time.Duration;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * What the gateway lets a browser ask for, from {@link OllamaGatewayProperties}.
 *
 * @param models the model allow-list
 * @param maxNumPredict the cap on {@code options.num_predict}, or null for none
 * @param allowedFields top-level fields allowed beyond the default set
 * @param allowedOptions options allowed beyond the sampling ones
 * @param minKeepAlive the shortest {@code keep_alive} passed on
 * @param maxKeepAlive the longest {@code keep_alive} passed on; negative passes any value
 */
record RequestRules(ModelPolicy models, @Nullable Integer maxNumPredict, Set<String> allowedFields,
    Set<String> allowedOptions, Duration minKeepAlive, Duration maxKeepAlive) {

  static RequestRules of(OllamaGatewayProperties properties) {
    return new RequestRules(new ModelPolicy(properties.getAllowedModels()),
        properties.getMaxNumPredict(), Set.copyOf(properties.getAllowedFields()),
        Set.copyOf(properties.getAllowedOptions()), properties.getMinKeepAlive(),
        properties.getMaxKeepAlive());
  }
}
