package dev.keyway.ollama.testkit;

import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;

/**
 * JUnit 5 extension: a fresh {@link OllamaStandIn} for each test, closed after it.
 *
 * <p>Default configuration, injected as a parameter:
 *
 * <pre>{@code
 * @ExtendWith(OllamaStandInExtension.class)
 * class ChatTest {
 *   @Test void answers(OllamaStandIn ollama) { ... }
 * }
 * }</pre>
 *
 * <p>Configured, through a field:
 *
 * <pre>{@code
 * @RegisterExtension
 * final OllamaStandInExtension ollama =
 *     OllamaStandInExtension.with(b -> b.requireApiKey("k").model(ScriptedModel.named("m")));
 *
 * @Test void answers() { String url = ollama.standIn().baseUrl(); ... }
 * }</pre>
 *
 * <p>The stand-in is started before any {@code @BeforeEach} method and can be injected there too.
 * Register at most one instance per test class, or parameter injection becomes ambiguous. With
 * parallel test execution, prefer parameter injection to {@link #standIn()} on a shared (static)
 * instance.
 */
public final class OllamaStandInExtension
    implements BeforeEachCallback, AfterEachCallback, ParameterResolver {
  private final Consumer<OllamaStandIn.Builder> configuration;
  private volatile @Nullable OllamaStandIn current;

  /** The default configuration; this is what {@code @ExtendWith} uses. */
  public OllamaStandInExtension() {
    this(builder -> {});
  }

  private OllamaStandInExtension(Consumer<OllamaStandIn.Builder> configuration) {
    this.configuration = configuration;
  }

  /** An extension whose stand-ins are configured by {@code configuration}, for each test. */
  public static OllamaStandInExtension with(Consumer<OllamaStandIn.Builder> configuration) {
    if (configuration == null) {
      throw new IllegalArgumentException("configuration is null");
    }
    return new OllamaStandInExtension(configuration);
  }

  /**
   * The stand-in of the test running now.
   *
   * @throws IllegalStateException outside a test
   */
  public OllamaStandIn standIn() {
    OllamaStandIn standIn = current;
    if (standIn == null) {
      throw new IllegalStateException("no stand-in: standIn() is only available while a test runs");
    }
    return standIn;
  }

  /** Starts the test's stand-in. */
  @Override
  public void beforeEach(ExtensionContext context) {
    OllamaStandIn.Builder builder = OllamaStandIn.builder();
    configuration.accept(builder);
    OllamaStandIn standIn = builder.build();
    store(context).put(OllamaStandIn.class, standIn);
    current = standIn;
  }

  /** Closes the test's stand-in. */
  @Override
  public void afterEach(ExtensionContext context) {
    OllamaStandIn standIn = store(context).remove(OllamaStandIn.class, OllamaStandIn.class);
    if (standIn != null) {
      if (current == standIn) {
        current = null;
      }
      standIn.close();
    }
  }

  /** Supports parameters of type {@link OllamaStandIn} on test and lifecycle methods. */
  @Override
  public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
    return parameter.getParameter().getType() == OllamaStandIn.class
        && context.getTestMethod().isPresent();
  }

  /** The test's stand-in. */
  @Override
  public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
    OllamaStandIn standIn = store(context).get(OllamaStandIn.class, OllamaStandIn.class);
    return standIn != null ? standIn : standIn();
  }

  private ExtensionContext.Store store(ExtensionContext context) {
    return context.getStore(ExtensionContext.Namespace.create(OllamaStandInExtension.class, this));
  }
}
