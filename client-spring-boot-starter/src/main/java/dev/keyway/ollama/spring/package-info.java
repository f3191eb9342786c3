/** Spring Boot auto-configuration for Keyway's {@link dev.keyway.ollama.OllamaClient}. */
@NullMarked
package dev.keyway.ollama.spring;

import org.jspecify.annotations.NullMarked;
