/**
 * The chat web sample: a Spring Boot application whose own route streams Ollama's answer to a
 * plain page while the key stays on the server.
 */
@NullMarked
package dev.keyway.samples.chatweb;

import org.jspecify.annotations.NullMarked;
