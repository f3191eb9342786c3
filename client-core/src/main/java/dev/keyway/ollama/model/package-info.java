/**
 * Ollama's wire types: immutable requests with builders and response records that mirror Ollama's
 * JSON in camelCase. Unknown response fields are ignored, so newer servers keep working.
 */
@NullMarked
package dev.keyway.ollama.model;

import org.jspecify.annotations.NullMarked;
