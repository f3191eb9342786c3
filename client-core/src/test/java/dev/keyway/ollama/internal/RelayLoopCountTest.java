package dev.keyway.ollama.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.File;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.net.URL;
import java.net.URLClassLoader;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** How many relay loops there are: the default, and the {@code keyway.relay.loops} system property. */
class RelayLoopCountTest {

  @Test
  void withoutThePropertyThereIsOnePerProcessorAndAtLeastTwo() {
    assertThat(RelayLoop.loopCount(null, 1)).isEqualTo(2);
    assertThat(RelayLoop.loopCount(null, 2)).isEqualTo(2);
    assertThat(RelayLoop.loopCount(null, 3)).isEqualTo(3);
    assertThat(RelayLoop.loopCount(null, 48)).isEqualTo(48);
  }

  @Test
  void thePropertySetsTheCountWhateverTheProcessors() {
    assertThat(RelayLoop.loopCount("2", 2)).isEqualTo(2);
    assertThat(RelayLoop.loopCount(" 3 ", 48)).isEqualTo(3);
    assertThat(RelayLoop.loopCount("1", 2)).isEqualTo(1);
    assertThat(RelayLoop.loopCount("1024", 2)).isEqualTo(1024);
  }

  @Test
  void aValueThatIsNotAWholeNumberInRangeIsRefusedNamingTheProperty() {
    for (String bad : new String[] {"0", "-2", "1025", "two", "", "2.5", "99999999999"}) {
      assertThatThrownBy(() -> RelayLoop.loopCount(bad, 2)).as(bad)
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("keyway.relay.loops")
          .hasMessageContaining("from 1 to 1024")
          .hasMessageContaining("'" + bad + "'");
    }
  }

  /**
   * The property as a JVM option would set it: read when the loops are first needed. The class is
   * loaded afresh (its loops are made once per class), so this JVM's own loops are not touched.
   */
  @Test
  void theLoopsAreCountedFromThePropertyAtFirstUse() throws Exception {
    assertThat(countInAFreshCopy("3")).isEqualTo(3);
    assertThat(countInAFreshCopy(null)).isEqualTo(Math.max(2, Runtime.getRuntime().availableProcessors()));
    assertThatThrownBy(() -> countInAFreshCopy("none"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("keyway.relay.loops");
  }

  private static int countInAFreshCopy(String property) throws Exception {
    List<URL> urls = new ArrayList<>();
    for (String entry : System.getProperty("java.class.path").split(File.pathSeparator)) {
      urls.add(new File(entry).toURI().toURL());
    }
    String before = System.getProperty(RelayLoop.LOOPS_PROPERTY);
    try (URLClassLoader fresh = new URLClassLoader(urls.toArray(URL[]::new), ClassLoader.getPlatformClassLoader())) {
      Class<?> loop = Class.forName(RelayLoop.class.getName(), true, fresh);
      assertThat(loop).isNotSameAs(RelayLoop.class);
      Method count = loop.getDeclaredMethod("count");
      count.setAccessible(true);
      if (property == null) {
        System.clearProperty(RelayLoop.LOOPS_PROPERTY);
      } else {
        System.setProperty(RelayLoop.LOOPS_PROPERTY, property);
      }
      try {
        return (int) count.invoke(null);
      } catch (InvocationTargetException e) {
        throw (Exception) e.getCause();
      }
    } finally {
      if (before == null) {
        System.clearProperty(RelayLoop.LOOPS_PROPERTY);
      } else {
        System.setProperty(RelayLoop.LOOPS_PROPERTY, before);
      }
    }
  }
}
