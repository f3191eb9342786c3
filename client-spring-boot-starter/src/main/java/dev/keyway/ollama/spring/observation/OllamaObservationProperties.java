package dev.keyway.ollama.spring.observation;

import org.springframework.boot.context.properties.ConfigurationProperties;

/** How calls of the auto-configured client are observed. */
@ConfigurationProperties("ollama.observation")
public class OllamaObservationProperties {

  /**
   * Whether to record the text of prompts and answers on each call's observation (span
   * attributes gen_ai.input.messages, gen_ai.output.messages and gen_ai.system_instructions). Off
   * by default: prompts and answers often hold personal data or secrets pasted by users, and
   * tracing backends are usually readable by more people, and kept longer, than the
   * application's own data.
   */
  private boolean captureMessageContent;

  /** Maximum number of characters of each recorded text (a message part); longer ones are cut. */
  private int maxContentLength = 16384;

  public boolean isCaptureMessageContent() {
    return captureMessageContent;
  }

  public void setCaptureMessageContent(boolean captureMessageContent) {
    this.captureMessageContent = captureMessageContent;
  }

  public int getMaxContentLength() {
    return maxContentLength;
  }

  public void setMaxContentLength(int maxContentLength) {
    this.maxContentLength = maxContentLength;
  }
}
