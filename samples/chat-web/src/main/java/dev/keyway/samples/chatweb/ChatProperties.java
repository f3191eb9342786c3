package dev.keyway.samples.chatweb;

import java.util.List;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.util.unit.DataSize;

/**
 * What the sample's own {@code /api/chat} route lets a browser do, under {@code chat.*}.
 *
 * @param model model the page asks for by default ({@code CHAT_MODEL})
 * @param models models a browser may pick, besides the default ({@code CHAT_MODELS}, comma-separated)
 * @param maxNumPredict cap on generated tokens per answer (Ollama's {@code num_predict})
 * @param maxRequestSize largest request body the route reads; larger ones get 413 unread
 */
@ConfigurationProperties("chat")
record ChatProperties(
    @DefaultValue("llama3.2") String model,
    @DefaultValue List<String> models,
    @DefaultValue("1024") int maxNumPredict,
    @DefaultValue("64KB") DataSize maxRequestSize) {

  ChatProperties {
    models = List.copyOf(models);
    if (maxNumPredict < 1) {
      throw new IllegalArgumentException("chat.max-num-predict must be at least 1 (was " + maxNumPredict + ")");
    }
  }

  /** The models a browser may ask for: the default first, then the others, no repeats. */
  List<String> offered() {
    return java.util.stream.Stream.concat(java.util.stream.Stream.of(model), models.stream())
        .map(String::strip).filter(m -> !m.isEmpty()).distinct().toList();
  }
}
