/** The opt-in key-holding gateway: Ollama's wire protocol for browsers, with the key kept on the server. */
@NullMarked
package dev.keyway.ollama.spring.gateway;

import org.jspecify.annotations.NullMarked;
