package io.pushrelay.core.config;

import java.util.ArrayList;
import java.util.List;

/**
 * A position in a config: field names and list indexes from the root, displayed
 * {@code tls.sni[1].cert}. Immutable.
 */
final class KeyPath {
    static final KeyPath ROOT = new KeyPath(List.of());

    /** Each element a {@link String} field name or an {@link Integer} list index. */
    private final List<Object> segments;

    private KeyPath(List<Object> segments) {
        this.segments = segments;
    }

    static KeyPath of(List<Object> segments) {
        return new KeyPath(List.copyOf(segments));
    }

    /** Parses a display form made of plain field names and {@code [i]} indexes, like {@code sni[1].cert}. */
    static KeyPath parse(String dotted) {
        List<Object> out = new ArrayList<>();
        if (dotted.isEmpty()) {
            return ROOT;
        }
        for (String part : dotted.split("\\.")) {
            int bracket = part.indexOf('[');
            out.add(bracket < 0 ? part : part.substring(0, bracket));
            while (bracket >= 0) {
                int close = part.indexOf(']', bracket);
                out.add(Integer.parseInt(part.substring(bracket + 1, close)));
                bracket = part.indexOf('[', close);
            }
        }
        return of(out);
    }

    KeyPath child(String name) {
        List<Object> s = new ArrayList<>(segments);
        s.add(name);
        return new KeyPath(List.copyOf(s));
    }

    KeyPath child(int index) {
        List<Object> s = new ArrayList<>(segments);
        s.add(index);
        return new KeyPath(List.copyOf(s));
    }

    /** This path followed by {@code relative}. */
    KeyPath resolve(KeyPath relative) {
        List<Object> s = new ArrayList<>(segments);
        s.addAll(relative.segments);
        return new KeyPath(List.copyOf(s));
    }

    KeyPath parent() {
        return new KeyPath(segments.subList(0, segments.size() - 1));
    }

    boolean isRoot() {
        return segments.isEmpty();
    }

    List<Object> segments() {
        return segments;
    }

    /** Whether this is {@code prefix} or below it (compared as displayed: a route name's dots are no boundary issue). */
    boolean startsWith(KeyPath prefix) {
        String me = display();
        String p = prefix.display();
        return p.isEmpty() || me.equals(p) || me.startsWith(p + ".") || me.startsWith(p + "[");
    }

    String display() {
        StringBuilder out = new StringBuilder();
        for (Object s : segments) {
            if (s instanceof Integer i) {
                out.append('[').append(i).append(']');
            } else {
                if (out.length() > 0) {
                    out.append('.');
                }
                out.append(s);
            }
        }
        return out.toString();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof KeyPath k && k.segments.equals(segments);
    }

    @Override
    public int hashCode() {
        return segments.hashCode();
    }

    @Override
    public String toString() {
        return display();
    }
}
