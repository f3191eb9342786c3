/**
 * Tools, the tool-call loop and structured output for Keyway's Ollama client.
 *
 * <ul>
 *   <li>{@link dev.keyway.ollama.tools.ToolFunction} and {@link dev.keyway.ollama.tools.Toolbox}:
 *       tools from typed functions or {@link dev.keyway.ollama.tools.ToolMethod @ToolMethod} methods, with
 *       their JSON Schema generated from the Java types, and their calls executed;</li>
 *   <li>{@link dev.keyway.ollama.tools.ToolLoop}: chat, run the tools the model asks for, send the
 *       results back, until the model answers;</li>
 *   <li>{@link dev.keyway.ollama.tools.StructuredOutput}: a {@code format} schema from a record and
 *       the answer parsed back into it.</li>
 * </ul>
 *
 * <h2>Which properties are required</h2>
 * One rule, used both for the generated schema's {@code required} list and when arguments or
 * answers are read back: a record component or method parameter is required unless its type is
 * an {@code Optional} ({@code Optional}, {@code OptionalInt}, {@code OptionalLong},
 * {@code OptionalDouble}) or it is annotated {@code @Nullable} (any annotation of that simple name:
 * JSpecify, Jakarta, JetBrains…). On other classes a property is required only when it is marked
 * {@code @JsonProperty(required = true)}. A required property that is missing or {@code null} is
 * an error; an optional one becomes {@code null} or {@code Optional.empty()}.
 */
@NullMarked
package dev.keyway.ollama.tools;

import org.jspecify.annotations.NullMarked;
