package io.pushrelay.core.config;

import java.util.List;
import java.util.stream.Collectors;

/**
 * A config that cannot be used: every problem found, each naming where it is and which key.
 * {@link Problem#toString()} reads
 * {@code config /etc/push-relay/pre.yaml:12: upstream.max-connections-per-host: must be at least 1, got 0};
 * a role command prints {@code ERROR: } before each (see {@link #problems()}) and exits 2.
 * {@link #getMessage()} is those lines joined by newlines.
 */
public final class ConfigException extends Exception {
    private final transient List<Problem> problems;

    public ConfigException(List<Problem> problems) {
        super(problems.stream().map(Problem::toString).collect(Collectors.joining("\n")));
        if (problems.isEmpty()) {
            throw new IllegalArgumentException("a ConfigException without a problem");
        }
        this.problems = List.copyOf(problems);
    }

    public ConfigException(Problem problem) {
        this(List.of(problem));
    }

    /** In file order as far as they were found; never empty. */
    public List<Problem> problems() {
        return problems;
    }

    /**
     * One problem.
     *
     * @param origin  {@code FILE:LINE}, {@code FILE} when the key is absent from the file,
     *                {@code flag --NAME} when a command-line override set it
     * @param key     dotted key path, list indexes in brackets ({@code tls.sni[1].cert}); empty
     *                for the file as a whole (a YAML syntax error)
     * @param message what is wrong
     */
    public record Problem(String origin, String key, String message) {
        /** {@code config ORIGIN: KEY: MESSAGE}. */
        @Override
        public String toString() {
            return "config " + origin + ": " + (key.isEmpty() ? "" : key + ": ") + message;
        }
    }
}
