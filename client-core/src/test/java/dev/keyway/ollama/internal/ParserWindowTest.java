package dev.keyway.ollama.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** The parser's window: reads through, and quotes the line an error offset falls on. */
class ParserWindowTest {
  static ParserWindow over(String text) {
    return new ParserWindow(new ByteArrayInputStream(text.getBytes(StandardCharsets.UTF_8)));
  }

  @Test
  void singleByteReadsFollowTheInputStreamContract() throws Exception {
    ParserWindow w = over("ab");
    assertThat(w.read()).isEqualTo('a');
    assertThat(w.read()).isEqualTo('b');
    assertThat(w.read()).isEqualTo(-1);
  }

  @Test
  void quotesTheLineTheOffsetIsOnCutToTheLimit() throws Exception {
    ParserWindow w = over("{\"a\":1}\n{\"b\":tru\n");
    byte[] buffer = new byte[64];
    int n = w.read(buffer, 0, buffer.length);
    assertThat(n).isEqualTo(17);
    assertThat(w.lineAt(10, 120)).isEqualTo("{\"b\":tru");
    assertThat(w.lineAt(17, 120)).isEqualTo("{\"b\":tru"); // at the end: the line that ended there
    assertThat(w.lineAt(2, 3)).isEqualTo("{\"a…");
    assertThat(w.lineAt(-1, 120)).isEqualTo("{\"b\":tru"); // unknown offset: the last line held
  }
}
