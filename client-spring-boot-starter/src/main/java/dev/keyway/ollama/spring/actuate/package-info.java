/**
 * Actuator integration for the auto-configured {@link dev.keyway.ollama.OllamaClient}: the
 * {@code ollama} health indicator (Spring Boot 3 and 4) and Micrometer meters for its calls.
 */
@NullMarked
package dev.keyway.ollama.spring.actuate;

import org.jspecify.annotations.NullMarked;
