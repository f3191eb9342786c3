package dev.keyway.ollama.internal;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonDeserializer;
import com.fasterxml.jackson.databind.MapperFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.module.SimpleModule;
import com.fasterxml.jackson.databind.ser.std.ToStringSerializer;
import com.fasterxml.jackson.databind.ser.std.ToStringSerializerBase;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import org.jspecify.annotations.Nullable;

/**
 * The SDK's own {@link ObjectMapper}. It is never shared with, or taken from, the application:
 * an application's global settings would otherwise change Keyway's wire format.
 */
public final class Json {
  /** Configured once; {@code ObjectMapper} is thread-safe after configuration. */
  public static final ObjectMapper MAPPER = create();

  private Json() {}

  private static ObjectMapper create() {
    SimpleModule wire = new SimpleModule("keyway-wire");
    // Ollama sends every duration as integer nanoseconds (Go time.Duration).
    wire.addDeserializer(Duration.class, new NanosDuration());
    // RFC 3339 with 0-9 fraction digits; created_at is UTC, modified_at carries a local offset.
    wire.addDeserializer(Instant.class, new Rfc3339Instant());
    wire.addDeserializer(OffsetDateTime.class, new Rfc3339OffsetDateTime());
    // And back, so responses can be re-emitted exactly as Ollama writes them.
    wire.addSerializer(Duration.class, new ToStringSerializerBase(Duration.class) {
      @Override
      public String valueToString(Object value) {
        return String.valueOf(((Duration) value).toNanos());
      }

      @Override
      public void serialize(Object value, com.fasterxml.jackson.core.JsonGenerator g,
          com.fasterxml.jackson.databind.SerializerProvider provider) throws IOException {
        g.writeNumber(((Duration) value).toNanos());
      }
    });
    wire.addSerializer(Instant.class, new ToStringSerializer(Instant.class));
    wire.addSerializer(OffsetDateTime.class, new ToStringSerializer(OffsetDateTime.class));
    return JsonMapper.builder()
        .propertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
        .serializationInclusion(JsonInclude.Include.NON_NULL)
        .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
        .disable(SerializationFeature.FAIL_ON_EMPTY_BEANS)
        .disable(MapperFeature.AUTO_DETECT_IS_GETTERS)
        .addModule(wire)
        .build();
  }

  static final class NanosDuration extends JsonDeserializer<Duration> {
    @Override
    public Duration deserialize(JsonParser p, DeserializationContext ctxt) throws IOException {
      if (p.currentToken() == JsonToken.VALUE_NUMBER_INT) {
        return Duration.ofNanos(p.getLongValue());
      }
      if (p.currentToken() == JsonToken.VALUE_NUMBER_FLOAT) {
        return Duration.ofNanos((long) p.getDoubleValue());
      }
      return (Duration) ctxt.handleUnexpectedToken(Duration.class, p);
    }
  }

  static final class Rfc3339Instant extends JsonDeserializer<Instant> {
    @Override
    public @Nullable Instant deserialize(JsonParser p, DeserializationContext ctxt) throws IOException {
      String text = p.getValueAsString();
      if (text == null || text.isEmpty()) {
        return null;
      }
      try {
        return OffsetDateTime.parse(text).toInstant();
      } catch (RuntimeException e) {
        return (Instant) ctxt.handleWeirdStringValue(Instant.class, text, "not an RFC 3339 timestamp");
      }
    }
  }

  static final class Rfc3339OffsetDateTime extends JsonDeserializer<OffsetDateTime> {
    @Override
    public @Nullable OffsetDateTime deserialize(JsonParser p, DeserializationContext ctxt) throws IOException {
      String text = p.getValueAsString();
      if (text == null || text.isEmpty()) {
        return null;
      }
      try {
        return OffsetDateTime.parse(text);
      } catch (RuntimeException e) {
        return (OffsetDateTime)
            ctxt.handleWeirdStringValue(OffsetDateTime.class, text, "not an RFC 3339 timestamp");
      }
    }
  }
}
