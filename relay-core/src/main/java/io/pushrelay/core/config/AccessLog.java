package io.pushrelay.core.config;

import java.nio.file.Path;

/**
 * Where the access log goes: {@code stdout} (the journal, under systemd), {@code off}, or a file.
 *
 * @param file the log file, or null for {@code stdout} and {@code off}
 */
public record AccessLog(Kind kind, Path file) {
    public static final AccessLog STDOUT = new AccessLog(Kind.STDOUT, null);
    public static final AccessLog OFF = new AccessLog(Kind.OFF, null);

    /** The three targets. */
    public enum Kind { STDOUT, OFF, FILE }

    public AccessLog {
        if ((kind == Kind.FILE) != (file != null)) {
            throw new InvalidValueException("a file access log needs a file, and only it has one");
        }
    }

    public static AccessLog file(Path file) {
        return new AccessLog(Kind.FILE, file);
    }

    /** {@code stdout}, {@code off} or the file's path: the config spelling. */
    @Override
    public String toString() {
        return switch (kind) {
            case STDOUT -> "stdout";
            case OFF -> "off";
            case FILE -> file.toString();
        };
    }
}
