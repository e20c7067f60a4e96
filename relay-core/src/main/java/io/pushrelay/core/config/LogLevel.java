package io.pushrelay.core.config;

/** {@code log.level}, the SLF4J levels. */
public enum LogLevel {
    ERROR, WARN, INFO, DEBUG, TRACE;

    /** The config spelling, lower case. */
    @Override
    public String toString() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
