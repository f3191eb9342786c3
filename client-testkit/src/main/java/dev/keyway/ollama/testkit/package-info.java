/**
 * An Ollama stand-in for tests, benchmarks and demos.
 *
 * <p>{@link dev.keyway.ollama.testkit.OllamaStandIn} serves Ollama's native REST API on loopback:
 * scripted models ({@link dev.keyway.ollama.testkit.ScriptedModel}), an optional
 * credential check in front of every path (as a reverse proxy would do), one-shot
 * {@linkplain dev.keyway.ollama.testkit.Fault faults}, and a record of every request
 * ({@link dev.keyway.ollama.testkit.RecordedRequest}). {@link
 * dev.keyway.ollama.testkit.OllamaStandInExtension} gives each JUnit 5 test a fresh stand-in.
 *
 * <p>This package depends on Jackson and, for the JUnit extension only, on junit-jupiter-api. It
 * does not depend on the Keyway client.
 */
@NullMarked
package dev.keyway.ollama.testkit;

import org.jspecify.annotations.NullMarked;
