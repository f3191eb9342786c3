package dev.keyway.ollama.spring.gateway;

import dev.keyway.ollama.spring.OllamaAutoConfiguration;
import dev.keyway.ollama.spring.OllamaClientCustomizer;
import io.github.bucket4j.BucketConfiguration;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import jakarta.servlet.DispatcherType;
import java.time.Duration;
import java.util.EnumSet;
import java.util.List;
import org.springframework.beans.factory.ListableBeanFactory;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnWebApplication;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.context.properties.bind.Bindable;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.web.servlet.FilterRegistrationBean;
import org.springframework.context.ApplicationEventPublisher;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Condition;
import org.springframework.context.annotation.ConditionContext;
import org.springframework.context.annotation.Conditional;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.io.ResourceLoader;
import org.springframework.core.type.AnnotatedTypeMetadata;
import org.springframework.core.env.Environment;
import org.springframework.util.ClassUtils;

/**
 * Per-caller usage limits on the gateway ({@code ollama.limits.enabled=true}): request and token
 * buckets and an in-flight cap, kept in this instance's memory or, with
 * {@code ollama.limits.store=redis}, in the Redis Spring Boot connects to. Every refusal is
 * published as an {@code AuditApplicationEvent} (when Spring Boot's actuator is present) and
 * counted as {@code ollama.gateway.denied} (when Micrometer is); the store's state is the gauge
 * {@code ollama.limits.store.state} (when Micrometer is) and the health component
 * {@code ollamaLimits} ({@link OllamaLimitsHealthAutoConfiguration}). With
 * {@code ollama.limits.routes} set, the same limits apply to those routes of the application
 * ({@link RouteLimitsFilter}), charged from the auto-configured client's calls.
 */
@AutoConfiguration(before = {OllamaGatewayAutoConfiguration.class, OllamaAutoConfiguration.class}, afterName = {
    "org.springframework.boot.autoconfigure.data.redis.RedisAutoConfiguration",
    "org.springframework.boot.data.redis.autoconfigure.DataRedisAutoConfiguration"})
@ConditionalOnWebApplication(type = ConditionalOnWebApplication.Type.SERVLET)
@ConditionalOnClass(name = "jakarta.servlet.http.HttpServlet")
@ConditionalOnProperty(prefix = "ollama.limits", name = "enabled", havingValue = "true")
@EnableConfigurationProperties(OllamaLimitsProperties.class)
public class OllamaLimitsAutoConfiguration {
  private static final System.Logger LOG = System.getLogger(OllamaLimitsAutoConfiguration.class.getName());
  /** Gauge of the limits store's state, tagged by state. */
  static final String STATE_METRIC = "ollama.limits.store.state";

  @Bean
  GatewayLimits ollamaGatewayLimits(OllamaLimitsProperties properties, ObjectProvider<CallerResolver> resolver,
      ApplicationEventPublisher events, ListableBeanFactory beans, ResourceLoader resources, Environment environment) {
    properties.check();
    CallerHash callers = CallerHash.of(environment);
    // The application's class loader, not this class's: what the application carries decides.
    ClassLoader loader = resources.getClassLoader();
    BucketConfiguration requests = bucket(properties.getRequests().getCapacity(), properties.getRequests().getPeriod());
    BucketConfiguration tokens = bucket(properties.getTokens().getCapacity(), properties.getTokens().getPeriod());
    LocalLimitStore local = new LocalLimitStore(requests, properties.getRequests().getPeriod(),
        tokens, properties.getTokens().getPeriod());
    List<GatewayLimits.DenialSink> sinks = DenialEvents.sinks(loader, events, beans);
    if (properties.getStore() == OllamaLimitsProperties.Store.LOCAL) {
      return new GatewayLimits(properties, local, null, null, resolver.getIfAvailable(), sinks, callers);
    }
    if (!ClassUtils.isPresent("org.springframework.data.redis.connection.lettuce.LettuceConnectionFactory", loader)
        || !ClassUtils.isPresent("io.lettuce.core.RedisClient", loader)) {
      throw new IllegalStateException("ollama.limits.store=redis needs spring-boot-starter-data-redis on the classpath");
    }
    LimitStore shared = RedisStores.create(beans, properties.getStoreTimeout(), properties.getStreamPermitTtl(),
        requests, tokens);
    CircuitBreaker breaker = CircuitBreaker.of("ollama-limits-store", CircuitBreakerConfig.custom()
        .slidingWindowSize(10)
        .minimumNumberOfCalls(3)
        .failureRateThreshold(50)
        .waitDurationInOpenState(Duration.ofSeconds(2))
        .permittedNumberOfCallsInHalfOpenState(1)
        .build());
    breaker.getEventPublisher().onStateTransition(event -> LOG.log(System.Logger.Level.WARNING,
        "ollama.limits: shared store circuit " + event.getStateTransition()
            + (properties.getStoreFailure() == OllamaLimitsProperties.StoreFailure.LOCAL
            ? " (while open: this instance's own buckets)" : " (while open: model calls get 503)")));
    return new GatewayLimits(properties, shared,
        properties.getStoreFailure() == OllamaLimitsProperties.StoreFailure.LOCAL ? local : null,
        breaker, resolver.getIfAvailable(), sinks, callers);
  }

  /**
   * Gauge {@code ollama.limits.store.state}, one series per state (tag {@code state}: shared,
   * local-fallback, down, local), 1 for the current one and 0 for the others. Read from the
   * circuit, no I/O. Bound by Spring Boot to the application's registries.
   */
  @Configuration(proxyBeanMethods = false)
  @ConditionalOnClass(name = "io.micrometer.core.instrument.binder.MeterBinder")
  static class Metrics {
    @Bean
    io.micrometer.core.instrument.binder.MeterBinder ollamaLimitsStoreStateMeterBinder(GatewayLimits limits) {
      return registry -> {
        for (String state : GatewayLimits.STORE_STATES) {
          io.micrometer.core.instrument.Gauge.builder(STATE_METRIC, limits, l -> state.equals(l.storeState()) ? 1 : 0)
              .description("State of the gateway's usage limits store: 1 for the current state")
              .tag("state", state)
              .register(registry);
        }
      };
    }
  }

  /**
   * The limits on the application's own routes ({@code ollama.limits.routes}): a filter on those
   * patterns, after Spring Security's filter chain (order -100), and a listener on the
   * auto-configured client that charges calls ended on a filtered request's thread.
   */
  @Configuration(proxyBeanMethods = false)
  @ConditionalOnClass(name = "org.springframework.web.filter.OncePerRequestFilter")
  @Conditional(RoutesSet.class)
  static class Routes {
    /** Spring Security's filter chain is at -100 (SecurityProperties.DEFAULT_FILTER_ORDER); run after it. */
    static final int ORDER = -100 + 10;

    // The filter is not a bean of its own: Spring Boot would also map a Filter bean to /*.
    @Bean
    FilterRegistrationBean<RouteLimitsFilter> ollamaRouteLimits(GatewayLimits limits,
        OllamaLimitsProperties properties) {
      FilterRegistrationBean<RouteLimitsFilter> registration =
          new FilterRegistrationBean<>(new RouteLimitsFilter(limits));
      registration.setName("ollamaRouteLimits");
      registration.setUrlPatterns(properties.getRoutes().stream().map(String::trim).filter(r -> !r.isEmpty()).toList());
      registration.setDispatcherTypes(EnumSet.of(DispatcherType.REQUEST));
      registration.setOrder(ORDER);
      return registration;
    }

    @Bean
    OllamaClientCustomizer ollamaRouteLimitsCustomizer(FilterRegistrationBean<RouteLimitsFilter> ollamaRouteLimits) {
      return builder -> builder.listener(ollamaRouteLimits.getFilter().listener());
    }
  }

  /** {@code ollama.limits.routes} names at least one pattern (as a list or comma-separated). */
  static final class RoutesSet implements Condition {
    @Override
    public boolean matches(ConditionContext context, AnnotatedTypeMetadata metadata) {
      return Binder.get(context.getEnvironment())
          .bind("ollama.limits.routes", Bindable.listOf(String.class))
          .map(routes -> routes.stream().anyMatch(r -> !r.isBlank()))
          .orElse(false);
    }
  }

  /** One bandwidth: {@code capacity} refilled greedily over {@code period} (1 when unset: never consulted). */
  private static BucketConfiguration bucket(@org.jspecify.annotations.Nullable Number capacity, Duration period) {
    long size = capacity == null ? 1 : Math.max(1, capacity.longValue());
    return BucketConfiguration.builder()
        .addLimit(limit -> limit.capacity(size).refillGreedy(size, period))
        .build();
  }

  /** Keeps Lettuce and Spring Data Redis types out of the configuration class's signatures. */
  private static final class RedisStores {
    static LimitStore create(ListableBeanFactory beans, Duration timeout, Duration ttl,
        BucketConfiguration requests, BucketConfiguration tokens) {
      return new RedisLimitStore(
          beans.getBeanProvider(org.springframework.data.redis.connection.RedisConnectionFactory.class),
          timeout, ttl, requests, tokens);
    }
  }
}
