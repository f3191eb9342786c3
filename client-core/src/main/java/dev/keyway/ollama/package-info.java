/**
 * Keyway's client for Ollama servers that sit behind an API key: {@link dev.keyway.ollama.OllamaClient},
 * its streams, credentials and exceptions. Wire types are in {@link dev.keyway.ollama.model}.
 */
@NullMarked
package dev.keyway.ollama;

import org.jspecify.annotations.NullMarked;
