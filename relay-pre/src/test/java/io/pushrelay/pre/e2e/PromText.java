package io.pushrelay.pre.e2e;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Samples of one metric in Prometheus text format, by their label set. */
public final class PromText {
    private static final Pattern LABEL = Pattern.compile("(\\w+)=\"((?:[^\"\\\\]|\\\\.)*)\"");

    private PromText() {
    }

    /** {@code name{labels} value} lines of {@code name}: labels as a map, with the value. */
    public static Map<Map<String, String>, Double> samples(String text, String name) {
        Map<Map<String, String>, Double> out = new LinkedHashMap<>();
        for (String line : text.split("\n")) {
            if (line.startsWith("#") || !line.startsWith(name)) {
                continue;
            }
            String rest = line.substring(name.length());
            Map<String, String> labels = new LinkedHashMap<>();
            if (rest.startsWith("{")) {
                int close = rest.lastIndexOf('}');
                Matcher m = LABEL.matcher(rest.substring(1, close));
                while (m.find()) {
                    labels.put(m.group(1), m.group(2));
                }
                rest = rest.substring(close + 1);
            } else if (!rest.startsWith(" ")) {
                continue; // another metric whose name starts with this one
            }
            out.put(labels, Double.parseDouble(rest.trim().split("\\s+")[0]));
        }
        return out;
    }

    /** The sum of the samples of {@code name} whose labels include every pair of {@code match} ({@code k, v, k, v...}). */
    public static long sum(String text, String name, String... match) {
        double total = 0;
        for (Map.Entry<Map<String, String>, Double> e : samples(text, name).entrySet()) {
            boolean all = true;
            for (int i = 0; i + 1 < match.length; i += 2) {
                all &= match[i + 1].equals(e.getKey().get(match[i]));
            }
            if (all) {
                total += e.getValue();
            }
        }
        return Math.round(total);
    }

    /** {@code push_relay_requests_total} as {@code "status flag" -> count}. */
    public static Map<String, Long> requestsByStatus(String text) {
        Map<String, Long> out = new java.util.TreeMap<>();
        samples(text, "push_relay_requests_total").forEach((labels, v) -> {
            if (v > 0) {
                out.merge(labels.get("status") + " " + labels.get("flag"), Math.round(v), Long::sum);
            }
        });
        return out;
    }
}
