package io.pushrelay.core.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;

/**
 * Command-line flags laid over a config file: each sets one key (a whole list or mapping at a
 * time) before the config is bound, so a flag is parsed and checked exactly like the file, and an
 * error names the flag: {@code config flag --listen: listen: port must be ...}. Later entries win.
 * Immutable; {@link #set} returns a new instance.
 *
 * <pre>{@code
 * ConfigOverrides o = ConfigOverrides.none()
 *         .set("--listen", "listen", listen)                  // String, HostPort, ...
 *         .set("--route", List.of("routes", "api.push.apple.com"), "127.0.0.1:8443")
 *         .set("--direct", "proxy", null);                    // null removes the key: back to its default
 * PreConfig c = ConfigLoader.load(file, PreConfig.class, o);
 * }</pre>
 *
 * Values: {@code String}, {@code Boolean}, numbers, {@link Duration}, {@link HostPort},
 * {@link Cidr}, {@link EndpointUrl}, {@link AccessLog}, enums, {@link Path} (made absolute against
 * the working directory, since that is what a path typed on a command line means; a path given as
 * a {@code String} is resolved against the config file's folder like one in the file), and
 * {@code List}s or {@code Map}s of those.
 */
public final class ConfigOverrides {
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
    private static final ConfigOverrides NONE = new ConfigOverrides(List.of());

    /** One override: {@code source} (the flag) set {@code path} to {@code value} (null: removed). */
    record Entry(String source, KeyPath path, JsonNode value) {
    }

    private final List<Entry> entries;

    private ConfigOverrides(List<Entry> entries) {
        this.entries = entries;
    }

    public static ConfigOverrides none() {
        return NONE;
    }

    /** Sets the dotted key {@code keyPath} ({@code upstream.request-timeout}); see {@link #set(String, List, Object)}. */
    public ConfigOverrides set(String source, String keyPath, Object value) {
        return set(source, List.of(keyPath.split("\\.")), value);
    }

    /**
     * Sets the key at {@code keyPath} (one element per level; use this form for a route name,
     * which has dots), creating the mappings above it; a null {@code value} removes the key.
     *
     * @param source what set it, for errors: the flag, {@code --listen}
     */
    public ConfigOverrides set(String source, List<String> keyPath, Object value) {
        if (keyPath.isEmpty() || keyPath.stream().anyMatch(k -> k == null || k.isEmpty())) {
            throw new IllegalArgumentException("override " + source + ": empty key in " + keyPath);
        }
        KeyPath path = KeyPath.ROOT;
        for (String k : keyPath) {
            path = path.child(k);
        }
        List<Entry> out = new ArrayList<>(entries);
        out.add(new Entry(source, path, value == null ? null : node(value)));
        return new ConfigOverrides(List.copyOf(out));
    }

    public boolean isEmpty() {
        return entries.isEmpty();
    }

    List<Entry> entries() {
        return entries;
    }

    /** The flag that set {@code path} or a key above it, last one first; null when none did. */
    String sourceOf(KeyPath path) {
        for (int i = entries.size() - 1; i >= 0; i--) {
            if (path.startsWith(entries.get(i).path())) {
                return entries.get(i).source();
            }
        }
        return null;
    }

    /** Applies every entry to {@code root}, in order. */
    void applyTo(ObjectNode root) {
        for (Entry e : entries) {
            ObjectNode parent = root;
            List<Object> segments = e.path().segments();
            for (int i = 0; i < segments.size() - 1; i++) {
                String k = (String) segments.get(i);
                JsonNode child = parent.get(k);
                if (!(child instanceof ObjectNode)) {
                    child = NODES.objectNode();
                    parent.set(k, child);
                }
                parent = (ObjectNode) child;
            }
            String last = (String) segments.get(segments.size() - 1);
            if (e.value() == null) {
                parent.remove(last);
            } else {
                parent.set(last, e.value().deepCopy());
            }
        }
    }

    private static JsonNode node(Object v) {
        if (v instanceof JsonNode n) {
            return n.deepCopy();
        }
        if (v instanceof String s) {
            return NODES.textNode(s);
        }
        if (v instanceof Boolean b) {
            return NODES.booleanNode(b);
        }
        if (v instanceof Integer || v instanceof Long || v instanceof Short || v instanceof Byte) {
            return NODES.numberNode(((Number) v).longValue());
        }
        if (v instanceof BigInteger b) {
            return NODES.numberNode(b);
        }
        if (v instanceof Double || v instanceof Float || v instanceof BigDecimal) {
            return NODES.numberNode(new BigDecimal(v.toString()));
        }
        if (v instanceof Duration d) {
            return NODES.textNode(Durations.format(d));
        }
        if (v instanceof EndpointUrl u) {
            return NODES.textNode(u.render(false));
        }
        if (v instanceof Path p) {
            return NODES.textNode(p.toAbsolutePath().normalize().toString());
        }
        if (v instanceof HostPort || v instanceof Cidr || v instanceof AccessLog || v instanceof Enum<?>) {
            return NODES.textNode(v.toString());
        }
        if (v instanceof Collection<?> c) {
            ArrayNode a = NODES.arrayNode();
            c.forEach(item -> a.add(node(item)));
            return a;
        }
        if (v instanceof Map<?, ?> m) {
            ObjectNode o = NODES.objectNode();
            m.forEach((k, item) -> o.set(String.valueOf(k), item == null ? NODES.nullNode() : node(item)));
            return o;
        }
        throw new IllegalArgumentException("override value of type " + v.getClass().getName() + " is not a config value");
    }
}
