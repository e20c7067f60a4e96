package io.pushrelay.core.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.RecordComponent;
import java.lang.reflect.Type;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * Finds every unknown key in a config tree before binding (Jackson stops at the first), by
 * walking the tree beside the record classes: a record's keys are its components in kebab case.
 * Unknown keys are removed from the tree, so binding can still report the first bad value.
 */
final class KeyCheck {
    private static final PropertyNamingStrategies.KebabCaseStrategy KEBAB = new PropertyNamingStrategies.KebabCaseStrategy();

    /** An unknown key and the known keys beside it. */
    record Unknown(KeyPath path, List<String> known) {
    }

    private KeyCheck() {
    }

    /** Removes unknown keys from {@code tree} (in place) and returns them in tree order. */
    static List<Unknown> prune(ObjectNode tree, Class<?> type) {
        List<Unknown> out = new ArrayList<>();
        walk(tree, type, KeyPath.ROOT, out);
        return out;
    }

    /** The config key of a record component: {@code maxConnections} -> {@code max-connections}. */
    static String key(RecordComponent c) {
        return KEBAB.translate(c.getName());
    }

    private static void walk(JsonNode node, Type type, KeyPath path, List<Unknown> out) {
        Class<?> raw = raw(type);
        if (raw.isRecord() && node instanceof ObjectNode object && !ConfigLoader.isScalarType(raw)) {
            RecordComponent[] components = raw.getRecordComponents();
            List<String> known = new ArrayList<>();
            for (RecordComponent c : components) {
                known.add(key(c));
            }
            for (Iterator<Map.Entry<String, JsonNode>> it = object.properties().iterator(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                int i = known.indexOf(e.getKey());
                if (i < 0) {
                    out.add(new Unknown(path.child(e.getKey()), known));
                    it.remove();
                } else {
                    walk(e.getValue(), components[i].getGenericType(), path.child(e.getKey()), out);
                }
            }
        } else if (Map.class.isAssignableFrom(raw) && node instanceof ObjectNode object && type instanceof ParameterizedType pt) {
            for (Iterator<Map.Entry<String, JsonNode>> it = object.properties().iterator(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                walk(e.getValue(), pt.getActualTypeArguments()[1], path.child(e.getKey()), out);
            }
        } else if (List.class.isAssignableFrom(raw) && node instanceof ArrayNode array && type instanceof ParameterizedType pt) {
            for (int i = 0; i < array.size(); i++) {
                walk(array.get(i), pt.getActualTypeArguments()[0], path.child(i), out);
            }
        }
    }

    private static Class<?> raw(Type type) {
        if (type instanceof Class<?> c) {
            return c;
        }
        if (type instanceof ParameterizedType pt) {
            return (Class<?>) pt.getRawType();
        }
        return Object.class;
    }

    /**
     * A known key within two edits of {@code name}, or its kebab-case spelling ({@code max_connections},
     * {@code maxConnections}), or the only known key it starts ({@code max-concurrent}), or null.
     */
    static String suggest(String name, List<String> known) {
        String best = null;
        int bestDistance = 3;
        for (String k : known) {
            int d = distance(name, k);
            if (d < bestDistance) {
                best = k;
                bestDistance = d;
            }
        }
        if (best == null) {
            String kebab = KEBAB.translate(name).replace('_', '-');
            if (known.contains(kebab)) {
                return kebab;
            }
            List<String> longer = known.stream().filter(k -> k.startsWith(kebab)).toList();
            if (longer.size() == 1) {
                return longer.get(0);
            }
        }
        return best;
    }

    private static int distance(String a, String b) {
        int[] prev = new int[b.length() + 1];
        int[] cur = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) {
            prev[j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            cur[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
                cur[j] = Math.min(Math.min(cur[j - 1] + 1, prev[j] + 1), prev[j - 1] + cost);
            }
            int[] t = prev;
            prev = cur;
            cur = t;
        }
        return prev[b.length()];
    }
}
