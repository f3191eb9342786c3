package dev.keyway.ollama.model;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * One chat message, sent in a request's history or received as the assistant's reply.
 *
 * <p>Create common messages with the factories ({@link #user(String)}, {@link #system(String)},
 * {@link #tool(String, String, String)}…) and anything else with {@link #builder()}. In a streamed
 * reply each chunk carries a delta: {@code content} and {@code thinking} are pieces of the text,
 * and {@code toolCalls} holds complete calls.
 *
 * <p>Empty lists are left out of the JSON, as Ollama does. {@link #toString()} shows how many
 * images a message has, never their data.
 *
 * @param role who speaks, one of the {@link Role} constants; {@code null} becomes
 *     {@value Role#ASSISTANT}
 * @param content the text, possibly empty; {@code null} becomes {@code ""}
 * @param thinking the model's reasoning trace, if any; send it back in the history of a
 *     multi-turn conversation with a thinking model
 * @param images images as plain standard base64 (no {@code data:} URL), for vision models
 * @param toolCalls the tools the model asks to call
 * @param toolName on a {@value Role#TOOL} message, the name of the function that ran
 * @param toolCallId on a {@value Role#TOOL} message, the {@link ToolCall#id()} being answered
 */
public record Message(
    String role,
    String content,
    @Nullable String thinking,
    @JsonInclude(JsonInclude.Include.NON_EMPTY) List<String> images,
    @JsonInclude(JsonInclude.Include.NON_EMPTY) List<ToolCall> toolCalls,
    @Nullable String toolName,
    @Nullable String toolCallId) {

  /** The roles Ollama knows. Plain strings, so a role added by a newer server still works. */
  public static final class Role {
    /** Instructions that steer the model: {@value}. */
    public static final String SYSTEM = "system";
    /** The user's turn: {@value}. */
    public static final String USER = "user";
    /** The model's turn, and the role of every reply: {@value}. */
    public static final String ASSISTANT = "assistant";
    /** The result of a tool call: {@value}. */
    public static final String TOOL = "tool";

    private Role() {}
  }

  /**
   * Fills in defaults: a missing role is {@value Role#ASSISTANT}, missing content is {@code ""}
   * and missing lists are empty. Lists are copied.
   *
   * @throws IllegalArgumentException if an image is a {@code data:} URL or blank
   * @throws NullPointerException if a list holds {@code null}
   */
  public Message {
    role = role == null ? Role.ASSISTANT : role;
    content = content == null ? "" : content;
    images = images == null ? List.of() : List.copyOf(images);
    images.forEach(Message::checkBase64Image);
    toolCalls = toolCalls == null ? List.of() : List.copyOf(toolCalls);
  }

  /** A {@value Role#SYSTEM} message with the given text. */
  public static Message system(String content) {
    return of(Role.SYSTEM, content);
  }

  /** A {@value Role#USER} message with the given text. */
  public static Message user(String content) {
    return of(Role.USER, content);
  }

  /** An {@value Role#ASSISTANT} message with the given text, for example to replay history. */
  public static Message assistant(String content) {
    return of(Role.ASSISTANT, content);
  }

  /**
   * A {@value Role#TOOL} message carrying a function's result.
   *
   * @param toolName the name of the function that ran
   * @param content its result, usually text or JSON
   */
  public static Message tool(String toolName, String content) {
    return new Message(Role.TOOL, requireContent(content), null, List.of(), List.of(),
        Objects.requireNonNull(toolName, "toolName"), null);
  }

  /**
   * A {@value Role#TOOL} message answering one call, identified by its {@link ToolCall#id()}.
   *
   * @param toolName the name of the function that ran
   * @param toolCallId the id of the call being answered, or {@code null} if the call had none
   * @param content the function's result, usually text or JSON
   */
  public static Message tool(String toolName, @Nullable String toolCallId, String content) {
    return new Message(Role.TOOL, requireContent(content), null, List.of(), List.of(),
        Objects.requireNonNull(toolName, "toolName"), toolCallId);
  }

  private static Message of(String role, String content) {
    return new Message(role, requireContent(content), null, List.of(), List.of(), null, null);
  }

  private static String requireContent(String content) {
    return Objects.requireNonNull(content, "content");
  }

  /** Starts a builder for a {@value Role#USER} message with empty content. */
  public static Builder builder() {
    return new Builder();
  }

  /** A builder that starts from this message's values. */
  public Builder toBuilder() {
    return new Builder(this);
  }

  /** Like the record's, but shows the number of images instead of their base64 data. */
  @Override
  public String toString() {
    StringBuilder sb = new StringBuilder("Message[role=").append(role)
        .append(", content=").append(content);
    if (thinking != null) {
      sb.append(", thinking=").append(thinking);
    }
    if (!images.isEmpty()) {
      sb.append(", images=").append(images.size());
    }
    if (!toolCalls.isEmpty()) {
      sb.append(", toolCalls=").append(toolCalls);
    }
    if (toolName != null) {
      sb.append(", toolName=").append(toolName);
    }
    if (toolCallId != null) {
      sb.append(", toolCallId=").append(toolCallId);
    }
    return sb.append(']').toString();
  }

  /** Standard base64 of raw bytes, the only image encoding Ollama accepts. */
  static String encodeImage(byte[] raw) {
    return Base64.getEncoder().encodeToString(Objects.requireNonNull(raw, "image"));
  }

  /** Standard base64 of a file's bytes; the message names the file when it cannot be read. */
  static String encodeImage(Path file) {
    Objects.requireNonNull(file, "file");
    try {
      return encodeImage(Files.readAllBytes(file));
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot read the image " + file + ": " + e, e);
    }
  }

  /** Checks that an already encoded image is plain base64 rather than a data URL. */
  static String checkBase64Image(String base64) {
    Objects.requireNonNull(base64, "image");
    if (base64.regionMatches(true, 0, "data:", 0, 5)) {
      throw new IllegalArgumentException("images must be plain base64, not a data URL: pass the"
          + " part after \"base64,\" (Ollama rejects data URLs), or use addImage(byte[])");
    }
    if (base64.isBlank()) {
      throw new IllegalArgumentException("image is blank: pass plain base64 image data");
    }
    return base64;
  }

  /** Builds a {@link Message}. Not thread-safe. */
  public static final class Builder {
    private String role = Role.USER;
    private String content = "";
    private @Nullable String thinking;
    private final List<String> images = new ArrayList<>();
    private final List<ToolCall> toolCalls = new ArrayList<>();
    private @Nullable String toolName;
    private @Nullable String toolCallId;

    Builder() {}

    Builder(Message m) {
      role = m.role;
      content = m.content;
      thinking = m.thinking;
      images.addAll(m.images);
      toolCalls.addAll(m.toolCalls);
      toolName = m.toolName;
      toolCallId = m.toolCallId;
    }

    /** Sets the role, one of the {@link Role} constants; the default is {@value Role#USER}. */
    public Builder role(String role) {
      this.role = Objects.requireNonNull(role, "role");
      return this;
    }

    /** Sets the text. */
    public Builder content(String content) {
      this.content = Objects.requireNonNull(content, "content");
      return this;
    }

    /** Sets the reasoning trace, or clears it with {@code null}. */
    public Builder thinking(@Nullable String thinking) {
      this.thinking = thinking;
      return this;
    }

    /** Adds an image from its raw bytes (PNG, JPEG…), encoded here as standard base64. */
    public Builder addImage(byte[] raw) {
      images.add(encodeImage(raw));
      return this;
    }

    /**
     * Adds an image from a file (PNG, JPEG…), read now and encoded as standard base64.
     *
     * @throws java.io.UncheckedIOException if the file cannot be read
     */
    public Builder addImage(Path file) {
      images.add(encodeImage(file));
      return this;
    }

    /**
     * Adds an image that is already base64 encoded.
     *
     * @throws IllegalArgumentException if it is a {@code data:} URL or blank; pass plain base64
     */
    public Builder addImageBase64(String base64) {
      images.add(checkBase64Image(base64));
      return this;
    }

    /**
     * Replaces the images with these base64 strings.
     *
     * @throws IllegalArgumentException if one is a {@code data:} URL or blank
     */
    public Builder images(List<String> base64Images) {
      images.clear();
      for (String image : base64Images) {
        addImageBase64(image);
      }
      return this;
    }

    /** Replaces the tool calls, for example to replay an assistant turn that called tools. */
    public Builder toolCalls(List<ToolCall> toolCalls) {
      this.toolCalls.clear();
      this.toolCalls.addAll(toolCalls);
      return this;
    }

    /** Replaces the tool calls. */
    public Builder toolCalls(ToolCall... toolCalls) {
      return toolCalls(List.of(toolCalls));
    }

    /** Sets the name of the function whose result this is, or clears it with {@code null}. */
    public Builder toolName(@Nullable String toolName) {
      this.toolName = toolName;
      return this;
    }

    /** Sets the id of the tool call this answers, or clears it with {@code null}. */
    public Builder toolCallId(@Nullable String toolCallId) {
      this.toolCallId = toolCallId;
      return this;
    }

    /** A new message with the values set so far. */
    public Message build() {
      return new Message(role, content, thinking, images, toolCalls, toolName, toolCallId);
    }
  }
}
