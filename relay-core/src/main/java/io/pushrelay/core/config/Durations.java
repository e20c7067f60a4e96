package io.pushrelay.core.config;

import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Durations as config files write them: a number and a unit, {@code 500ms}, {@code 10s},
 * {@code 5m}, {@code 1h}, or a sum of those, {@code 1m30s}. Units: {@code ms}, {@code s},
 * {@code m}, {@code h}, {@code d}. A bare number is refused: {@code 10} could mean seconds or
 * milliseconds, and guessing wrong makes a timeout 1000 times off.
 */
public final class Durations {
    private static final Pattern PART = Pattern.compile("(\\d{1,9})(ms|s|m|h|d)");
    private static final Duration MAX = Duration.ofDays(365);

    private Durations() {
    }

    /** Parses {@code 10s}; throws {@link InvalidValueException} naming the accepted forms. */
    public static Duration parse(String text) {
        if (text == null || text.isBlank()) {
            throw new InvalidValueException("expected a duration such as 10s, 500ms or 5m, got nothing");
        }
        String s = text.strip();
        Matcher m = PART.matcher(s);
        Duration total = Duration.ZERO;
        int at = 0;
        while (at < s.length()) {
            if (!m.region(at, s.length()).lookingAt()) {
                String hint = s.chars().allMatch(Character::isDigit) ? " (add a unit: " + s + "s or " + s + "ms)" : "";
                throw new InvalidValueException("expected a duration such as 10s, 500ms or 5m, got '" + text + "'" + hint);
            }
            long n = Long.parseLong(m.group(1));
            total = total.plus(switch (m.group(2)) {
                case "ms" -> Duration.ofMillis(n);
                case "s" -> Duration.ofSeconds(n);
                case "m" -> Duration.ofMinutes(n);
                case "h" -> Duration.ofHours(n);
                default -> Duration.ofDays(n);
            });
            if (total.compareTo(MAX) > 0) {
                throw new InvalidValueException("duration '" + text + "' is longer than 365d");
            }
            at = m.end();
        }
        return total;
    }

    /** The shortest form {@link #parse} reads back to the same value: {@code 1m30s}, {@code 500ms}, {@code 0s}. */
    public static String format(Duration d) {
        if (d.isNegative()) {
            throw new IllegalArgumentException("negative duration " + d);
        }
        if (d.isZero()) {
            return "0s";
        }
        long ms = d.toMillis();
        if (Duration.ofMillis(ms).compareTo(d) != 0) {
            throw new IllegalArgumentException("duration " + d + " has sub-millisecond precision");
        }
        StringBuilder out = new StringBuilder();
        long[] sizes = {86_400_000L, 3_600_000L, 60_000L, 1000L, 1L};
        String[] units = {"d", "h", "m", "s", "ms"};
        for (int i = 0; i < sizes.length; i++) {
            long n = ms / sizes[i];
            if (n > 0) {
                out.append(n).append(units[i]);
                ms -= n * sizes[i];
            }
        }
        return out.toString();
    }
}
