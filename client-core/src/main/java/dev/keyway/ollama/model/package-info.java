/**
 * Ollama's wire types: immutable requests with builders and response records that mirror Ollama's
 * JSON in camelCase. Unknown response fields are ignored, so newer servers keep working.
 *
 * <h2>Not for construction</h2>
 *
 * <p>The public constructors of the records in this package (their canonical constructors) are not
 * part of the API: each gains a parameter whenever Ollama adds a field, in any release. Build
 * requests with {@code builder()}, {@code toBuilder()} and the static factories
 * ({@code Message.user(…)}, {@code EmbedRequest.of(…)}, {@code Tool.function(…)}); take responses
 * from the client. To produce responses in your own tests, answer with the testkit's stand-in.
 * Everything else here (accessors, builders, factories, constants) is kept binary compatible, and
 * the build's API check ignores only these constructors.
 */
@NullMarked
package dev.keyway.ollama.model;

import org.jspecify.annotations.NullMarked;
