package dev.keyway.ollama.spring.gateway;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.Set;

/**
 * Cuts an {@code /api/show} answer down to what a model picker needs: {@code details},
 * {@code capabilities}, {@code modified_at}, and from {@code model_info} the architecture,
 * parameter count and context and embedding lengths. Not the modelfile, template, system prompt,
 * parameters, licence, messages or tensors.
 *
 * <p>The answer is read as a token stream and everything else is skipped unread, so a huge
 * answer (tokenizer vocabularies, tensors, a hostile upstream's 200 MB string) costs no memory;
 * what is kept is bounded by {@link #MAX_KEPT_BYTES}.
 */
final class ShowFilter {
  static final int MAX_KEPT_BYTES = 256 * 1024;
  // A kept string longer than everything kept may be fails as it is read; skipped ones are never
  // materialised.
  private static final JsonFactory JSON = GatewayJson.factory()
      .streamReadConstraints(StreamReadConstraints.builder().maxStringLength(MAX_KEPT_BYTES).build())
      .build();
  private static final Set<String> KEPT = Set.of("details", "capabilities", "modified_at");

  private ShowFilter() {}

  static byte[] filter(InputStream upstream) throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (JsonParser in = JSON.createParser(upstream);
        JsonGenerator out = JSON.createGenerator(bytes)) {
      if (in.nextToken() != JsonToken.START_OBJECT) {
        throw new IOException("not a JSON object");
      }
      out.writeStartObject();
      while (in.nextToken() == JsonToken.FIELD_NAME) {
        String name = in.currentName();
        in.nextToken();
        if (KEPT.contains(name)) {
          out.writeFieldName(name);
          out.copyCurrentStructure(in);
        } else if (name.equals("model_info") && in.currentToken() == JsonToken.START_OBJECT) {
          out.writeObjectFieldStart(name);
          while (in.nextToken() == JsonToken.FIELD_NAME) {
            String key = in.currentName();
            JsonToken value = in.nextToken();
            if (picked(key) && value.isScalarValue()) {
              out.writeFieldName(key);
              out.copyCurrentEvent(in);
            } else {
              in.skipChildren();
            }
          }
          out.writeEndObject();
        } else {
          in.skipChildren();
        }
        out.flush();
        if (bytes.size() > MAX_KEPT_BYTES) {
          throw new IOException("show answer too large");
        }
      }
      out.writeEndObject();
    }
    return bytes.toByteArray();
  }

  private static boolean picked(String key) {
    return key.equals("general.architecture") || key.equals("general.parameter_count")
        || key.endsWith(".context_length") || key.endsWith(".embedding_length");
  }
}
