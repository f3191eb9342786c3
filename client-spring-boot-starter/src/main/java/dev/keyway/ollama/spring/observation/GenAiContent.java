package dev.keyway.ollama.spring.observation;

import dev.keyway.ollama.model.ChatRequest;
import dev.keyway.ollama.model.ChatResponse;
import dev.keyway.ollama.model.GenerateRequest;
import dev.keyway.ollama.model.GenerateResponse;
import dev.keyway.ollama.model.Message;
import dev.keyway.ollama.model.ToolCall;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * Prompts and answers as the JSON of OpenTelemetry's GenAI conventions ({@code
 * gen_ai.input.messages}, {@code gen_ai.output.messages}, {@code gen_ai.system_instructions}):
 * messages of {@code role} and {@code parts} ({@code text}, {@code reasoning}, {@code tool_call},
 * {@code tool_call_response}), output messages with a {@code finish_reason}. Images are left out
 * (their base64 would dwarf everything else). Each text is cut to {@code maxLength} characters,
 * keeping the JSON whole.
 */
final class GenAiContent {
  private final int maxLength;

  GenAiContent(int maxLength) {
    if (maxLength < 1) {
      throw new IllegalArgumentException("maxLength must be positive, was " + maxLength);
    }
    this.maxLength = maxLength;
  }

  /** The input messages of a chat or generate request; {@code null} for other requests. */
  @Nullable String inputMessages(@Nullable Object request) {
    if (request instanceof ChatRequest chat) {
      StringBuilder out = new StringBuilder(256).append('[');
      for (Message m : chat.messages()) {
        if (out.length() > 1) {
          out.append(',');
        }
        message(out, m);
        out.append('}');
      }
      return out.append(']').toString();
    }
    if (request instanceof GenerateRequest generate && generate.prompt() != null) {
      StringBuilder out = new StringBuilder(256).append("[{\"role\":\"user\",\"parts\":[");
      textPart(out, "text", generate.prompt());
      return out.append("]}]").toString();
    }
    return null;
  }

  /** A generate request's {@code system} prompt; {@code null} when it has none. */
  @Nullable String systemInstructions(@Nullable Object request) {
    if (request instanceof GenerateRequest generate && generate.system() != null) {
      StringBuilder out = new StringBuilder(128).append('[');
      textPart(out, "text", generate.system());
      return out.append(']').toString();
    }
    return null;
  }

  /** The answer of a chat or generate call as one output message; {@code null} for others. */
  @Nullable String outputMessages(@Nullable Object answer) {
    StringBuilder out = new StringBuilder(256).append('[');
    String reason;
    if (answer instanceof ChatResponse chat) {
      message(out, chat.message());
      reason = chat.doneReason();
    } else if (answer instanceof GenerateResponse generate) {
      out.append("{\"role\":\"assistant\",\"parts\":[");
      boolean any = false;
      if (generate.thinking() != null && !generate.thinking().isEmpty()) {
        textPart(out, "reasoning", generate.thinking());
        any = true;
      }
      if (!generate.response().isEmpty() || !any) {
        if (any) {
          out.append(',');
        }
        textPart(out, "text", generate.response());
        any = true;
      }
      toolCalls(out, generate.toolCalls(), any);
      out.append(']');
      reason = generate.doneReason();
    } else {
      return null;
    }
    out.append(",\"finish_reason\":");
    string(out, reason == null ? "stop" : reason);
    return out.append("}]").toString();
  }

  /** Writes a message without its closing brace. */
  private void message(StringBuilder out, Message m) {
    out.append("{\"role\":");
    string(out, m.role());
    out.append(",\"parts\":[");
    boolean any = false;
    if (m.thinking() != null && !m.thinking().isEmpty()) {
      textPart(out, "reasoning", m.thinking());
      any = true;
    }
    if (Message.Role.TOOL.equals(m.role())) {
      if (any) {
        out.append(',');
      }
      out.append("{\"type\":\"tool_call_response\"");
      if (m.toolCallId() != null) {
        out.append(",\"id\":");
        string(out, m.toolCallId());
      }
      out.append(",\"response\":");
      string(out, cut(m.content()));
      out.append('}');
      any = true;
    } else if (!m.content().isEmpty() || (!any && m.toolCalls().isEmpty())) {
      if (any) {
        out.append(',');
      }
      textPart(out, "text", m.content());
      any = true;
    }
    toolCalls(out, m.toolCalls(), any);
    out.append(']');
  }

  private void toolCalls(StringBuilder out, List<ToolCall> calls, boolean comma) {
    for (ToolCall call : calls) {
      if (comma) {
        out.append(',');
      }
      comma = true;
      out.append("{\"type\":\"tool_call\"");
      if (call.id() != null) {
        out.append(",\"id\":");
        string(out, call.id());
      }
      out.append(",\"name\":");
      string(out, call.function().name());
      out.append(",\"arguments\":");
      value(out, call.function().arguments());
      out.append('}');
    }
  }

  private void textPart(StringBuilder out, String type, String content) {
    out.append("{\"type\":\"").append(type).append("\",\"content\":");
    string(out, cut(content));
    out.append('}');
  }

  private String cut(String text) {
    if (text.length() <= maxLength) {
      return text;
    }
    int end = Character.isHighSurrogate(text.charAt(maxLength - 1)) ? maxLength - 1 : maxLength;
    return text.substring(0, end) + "…";
  }

  private void value(StringBuilder out, @Nullable Object v) {
    if (v == null) {
      out.append("null");
    } else if (v instanceof String s) {
      string(out, cut(s));
    } else if (v instanceof Number || v instanceof Boolean) {
      out.append(v);
    } else if (v instanceof Map<?, ?> map) {
      out.append('{');
      boolean first = true;
      for (Map.Entry<?, ?> e : map.entrySet()) {
        if (!first) {
          out.append(',');
        }
        first = false;
        string(out, String.valueOf(e.getKey()));
        out.append(':');
        value(out, e.getValue());
      }
      out.append('}');
    } else if (v instanceof Iterable<?> list) {
      out.append('[');
      boolean first = true;
      for (Object item : list) {
        if (!first) {
          out.append(',');
        }
        first = false;
        value(out, item);
      }
      out.append(']');
    } else {
      string(out, cut(String.valueOf(v)));
    }
  }

  /** A JSON string: quotes, backslashes and control characters escaped. */
  static void string(StringBuilder out, String s) {
    out.append('"');
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '"' -> out.append("\\\"");
        case '\\' -> out.append("\\\\");
        case '\n' -> out.append("\\n");
        case '\r' -> out.append("\\r");
        case '\t' -> out.append("\\t");
        default -> {
          if (c < 0x20 || c == 0x2028 || c == 0x2029) {
            out.append(String.format("\\u%04x", (int) c));
          } else {
            out.append(c);
          }
        }
      }
    }
    out.append('"');
  }
}
