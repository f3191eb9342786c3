/**
 * Micrometer Observation for the auto-configured {@link dev.keyway.ollama.OllamaClient}: one
 * observation per call in OpenTelemetry's GenAI semantic conventions (span {@code chat llama3.2},
 * {@code gen_ai.*} key values), trace context propagated upstream, and the
 * {@code gen_ai.client.operation.duration} and {@code gen_ai.client.token.usage} meters.
 */
@NullMarked
package dev.keyway.ollama.spring.observation;

import org.jspecify.annotations.NullMarked;
