/** Spring Boot auto-configuration for Keyway's {@link dev.keyway.ollama.OllamaClient}. */
package dev.keyway.ollama.spring;
