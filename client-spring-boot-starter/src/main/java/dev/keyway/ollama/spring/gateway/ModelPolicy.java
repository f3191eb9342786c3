package dev.keyway.ollama.spring.gateway;

import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Decides whether a model name is on the allow-list. Names are compared in the form Ollama
 * resolves them to: lower case, default registry and namespace dropped, {@code :latest} when no
 * tag is given. Anything that is not plain printable ASCII without spaces is refused outright, so
 * look-alike characters and padding cannot slip past.
 */
final class ModelPolicy {
  private final Set<String> allowed;

  ModelPolicy(List<String> allowedModels) {
    this.allowed = allowedModels.stream().map(ModelPolicy::canonical).collect(Collectors.toSet());
  }

  boolean allowsAll() {
    return allowed.isEmpty();
  }

  boolean allows(String model) {
    return allowed.isEmpty() || (isPlain(model) && allowed.contains(canonical(model)));
  }

  static boolean isPlain(String name) {
    if (name.isEmpty()) {
      return false;
    }
    for (int i = 0; i < name.length(); i++) {
      char c = name.charAt(i);
      if (c <= 0x20 || c >= 0x7f) {
        return false;
      }
    }
    return true;
  }

  static String canonical(String name) {
    String n = name.trim().toLowerCase(Locale.ROOT);
    for (String prefix : new String[] {"registry.ollama.ai/", "library/"}) {
      if (n.startsWith(prefix)) {
        n = n.substring(prefix.length());
      }
    }
    int slash = n.lastIndexOf('/');
    String last = n.substring(slash + 1);
    if (!last.contains(":") && !last.contains("@")) {
      n = n + ":latest";
    }
    return n;
  }
}
