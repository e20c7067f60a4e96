package io.pushrelay.core.config;

/**
 * A config value that is malformed or out of range. Thrown by the value parsers
 * ({@link Durations}, {@link HostPort}, {@link Cidr}, {@link EndpointUrl}) and by the compact
 * constructors of the config records; {@link ConfigLoader} turns it into a
 * {@link ConfigException} naming the file, line and full key path.
 *
 * <p>{@link #key()} is relative to the record that threw (for example {@code max-connections}
 * in {@link PreLimitSettings}, or {@code tls.cert} for a cross-field rule in {@link PreConfig});
 * empty when the problem is the value itself (a parser) and the caller knows where it sits.
 */
public final class InvalidValueException extends IllegalArgumentException {
    private final String key;
    private final String problem;

    public InvalidValueException(String key, String problem) {
        super(key.isEmpty() ? problem : key + ": " + problem);
        this.key = key;
        this.problem = problem;
    }

    /** A problem with the value itself, located by the caller. */
    public InvalidValueException(String problem) {
        this("", problem);
    }

    /** Dotted key path relative to the record that threw; empty for a bare value. */
    public String key() {
        return key;
    }

    /** What is wrong, without the key: {@code must be at least 1, got 0}. */
    public String problem() {
        return problem;
    }

    static int atLeast(String key, int min, int value) {
        if (value < min) {
            throw new InvalidValueException(key, "must be at least " + min + ", got " + value);
        }
        return value;
    }

    static int between(String key, int min, int max, int value) {
        if (value < min || value > max) {
            throw new InvalidValueException(key, "must be between " + min + " and " + max + ", got " + value);
        }
        return value;
    }

    static java.time.Duration positive(String key, java.time.Duration value) {
        if (value.isZero() || value.isNegative()) {
            throw new InvalidValueException(key, "must be longer than 0, got " + Durations.format(value));
        }
        return value;
    }

    static <T> T required(String key, T value, String what) {
        if (value == null) {
            throw new InvalidValueException(key, "required: " + what);
        }
        return value;
    }
}
