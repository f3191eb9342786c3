package dev.keyway.ollama;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import java.util.logging.SimpleFormatter;

/**
 * Captures every record logged under {@code dev.keyway} and {@code okhttp3} at every level, as
 * formatted text with stack traces. Keyway logs through System.Logger, which goes to
 * java.util.logging when no other backend is installed.
 */
final class LogCapture implements AutoCloseable {
  private final List<String> lines = new CopyOnWriteArrayList<>();
  private final Logger[] loggers = {Logger.getLogger("dev.keyway"), Logger.getLogger("okhttp3")};
  private final Level[] previous = new Level[loggers.length];
  private final Handler handler = new Handler() {
    final SimpleFormatter formatter = new SimpleFormatter();

    @Override
    public void publish(LogRecord record) {
      lines.add(record.getLevel() + " " + formatter.format(record));
    }

    @Override
    public void flush() {}

    @Override
    public void close() {}
  };

  LogCapture() {
    handler.setLevel(Level.ALL);
    for (int i = 0; i < loggers.length; i++) {
      previous[i] = loggers[i].getLevel();
      loggers[i].setLevel(Level.ALL);
      loggers[i].addHandler(handler);
    }
  }

  List<String> lines() {
    return lines;
  }

  String all() {
    return String.join("\n", lines);
  }

  @Override
  public void close() {
    for (int i = 0; i < loggers.length; i++) {
      loggers[i].removeHandler(handler);
      loggers[i].setLevel(previous[i]);
    }
  }
}
