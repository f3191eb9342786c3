package dev.keyway.ollama.tools;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.github.victools.jsonschema.generator.FieldScope;
import com.github.victools.jsonschema.generator.Option;
import com.github.victools.jsonschema.generator.OptionPreset;
import com.github.victools.jsonschema.generator.SchemaBuilder;
import com.github.victools.jsonschema.generator.SchemaGenerator;
import com.github.victools.jsonschema.generator.SchemaGeneratorConfigBuilder;
import com.github.victools.jsonschema.generator.SchemaVersion;
import com.github.victools.jsonschema.module.jackson.JacksonOption;
import com.github.victools.jsonschema.module.jackson.JacksonModule;
import java.lang.reflect.Type;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * JSON Schemas from Java types, by victools' jsonschema-generator with its Jackson module: names
 * and descriptions from {@code @JsonProperty} and {@code @JsonPropertyDescription}, properties in
 * declaration order, {@code required} by {@link Required}'s rule, no {@code $schema} key.
 */
final class Schemas {
  private static final TypeReference<LinkedHashMap<String, Object>> MAP =
      new TypeReference<>() {};
  private static final SchemaGenerator GENERATOR = create();

  private Schemas() {}

  private static SchemaGenerator create() {
    SchemaGeneratorConfigBuilder config =
        new SchemaGeneratorConfigBuilder(SchemaVersion.DRAFT_2020_12, OptionPreset.PLAIN_JSON)
            .with(new JacksonModule(JacksonOption.RESPECT_JSONPROPERTY_REQUIRED,
                JacksonOption.FLATTENED_ENUMS_FROM_JSONPROPERTY))
            .without(Option.SCHEMA_VERSION_INDICATOR);
    config.forFields().withRequiredCheck(Schemas::requiredField);
    // Stable sort with an always-equal comparator: the declaration order the model should follow.
    config.forTypesInGeneral().withPropertySorter((a, b) -> 0);
    return new SchemaGenerator(config.build());
  }

  private static boolean requiredField(FieldScope field) {
    return field.getRawMember() != null && Required.recordComponent(
        field.getRawMember().getDeclaringClass(), field.getRawMember(), -1);
  }

  /** The schema of one type, for {@code format} or a typed function's arguments. */
  static Map<String, Object> of(Type type) {
    return toMap(GENERATOR.generateSchema(type).toString());
  }

  /** One parameter of a method tool. */
  record Property(String name, Type type, @Nullable String description, boolean required) {}

  /** An object schema with one property per method parameter, sharing one {@code $defs}. */
  static Map<String, Object> object(List<Property> properties) {
    SchemaBuilder builder = GENERATOR.buildMultipleSchemaDefinitions();
    List<Object> nodes = new ArrayList<>();
    for (Property p : properties) {
      nodes.add(builder.createSchemaReference(p.type()));
    }
    String defs = builder.collectDefinitions("$defs").toString();
    Map<String, Object> props = new LinkedHashMap<>();
    List<String> required = new ArrayList<>();
    for (int i = 0; i < properties.size(); i++) {
      Property p = properties.get(i);
      Map<String, Object> schema = toMap(nodes.get(i).toString());
      if (p.description() != null && !p.description().isEmpty()) {
        schema.put("description", p.description());
      }
      props.put(p.name(), schema);
      if (p.required()) {
        required.add(p.name());
      }
    }
    Map<String, Object> schema = new LinkedHashMap<>();
    schema.put("type", "object");
    schema.put("properties", props);
    if (!required.isEmpty()) {
      schema.put("required", required);
    }
    Map<String, Object> definitions = toMap(defs);
    if (!definitions.isEmpty()) {
      schema.put("$defs", definitions);
    }
    return schema;
  }

  private static LinkedHashMap<String, Object> toMap(String json) {
    try {
      return ToolJson.MAPPER.readValue(json, MAP);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("generated schema is not JSON", e);
    }
  }
}
