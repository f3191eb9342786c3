/** Keyway's machinery. Not an API: anything here may change in any release. */
@NullMarked
package dev.keyway.ollama.internal;

import org.jspecify.annotations.NullMarked;
