package io.pushrelay.core.config;

/** {@code log.format}: one line of text per event, or one JSON object per line. */
public enum LogFormat {
    TEXT, JSON;

    /** The config spelling, lower case. */
    @Override
    public String toString() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
