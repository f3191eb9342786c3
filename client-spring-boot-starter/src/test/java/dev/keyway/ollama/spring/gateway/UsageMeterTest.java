package dev.keyway.ollama.spring.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** The token charge read from relayed bytes, however the buffers split the lines. */
class UsageMeterTest {
  static final String STREAM = "{\"message\":{\"content\":\"a\"},\"done\":false}\n"
      + "{\"message\":{\"content\":\"b\"},\"done\":false}\n"
      + "{\"message\":{\"content\":\"\"},\"done\":true,\"prompt_eval_count\":12,\"eval_count\":2}\n";

  private static long feedInPieces(String text, int piece) {
    byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
    UsageMeter meter = new UsageMeter();
    byte[] buffer = new byte[piece];
    for (int at = 0; at < bytes.length; at += piece) {
      int n = Math.min(piece, bytes.length - at);
      System.arraycopy(bytes, at, buffer, 0, n); // the relay reuses one buffer
      meter.feed(buffer, 0, n);
    }
    return meter.tokens();
  }

  @Test
  void aFinishedStreamIsChargedPromptPlusEvalCountWhateverTheSplit() {
    for (int piece = 1; piece <= STREAM.length(); piece++) {
      assertThat(feedInPieces(STREAM, piece)).as("piece %d", piece).isEqualTo(14);
    }
  }

  @Test
  void aStreamCutShortIsChargedOnePerContentChunkDelivered() {
    String cut = STREAM.substring(0, STREAM.indexOf("{\"message\":{\"content\":\"\"}") + 10);
    assertThat(feedInPieces(cut, 7)).isEqualTo(2);
  }

  @Test
  void aUnaryAnswerAndAnEmbedAreChargedTheirCounts() {
    assertThat(feedInPieces("{\"model\":\"m\",\"done\":true,\"prompt_eval_count\":3,\"eval_count\":4}", 5)).isEqualTo(7);
    assertThat(feedInPieces("{\"embeddings\":[[0.1,0.2]],\"prompt_eval_count\":9}", 4)).isEqualTo(9);
  }

  @Test
  void anInStreamErrorIsNotAContentChunk() {
    assertThat(feedInPieces("{\"message\":{\"content\":\"a\"},\"done\":false}\n{\"error\":\"boom\"}\n", 3)).isEqualTo(1);
  }
}
