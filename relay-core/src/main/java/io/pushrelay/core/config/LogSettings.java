package io.pushrelay.core.config;

/**
 * Logging.
 *
 * @param format    {@code text} or {@code json} (one object per line)
 * @param accessLog one line per exchange: {@code stdout}, {@code off}, or a file path
 * @param level     the relay's log level ({@code error}, {@code warn}, {@code info}, {@code debug}, {@code trace})
 */
public record LogSettings(LogFormat format, AccessLog accessLog, LogLevel level) {
    public static final LogSettings DEFAULTS = new LogSettings(LogFormat.TEXT, AccessLog.STDOUT, LogLevel.INFO);

    public LogSettings {
        format = format == null ? LogFormat.TEXT : format;
        accessLog = accessLog == null ? AccessLog.STDOUT : accessLog;
        level = level == null ? LogLevel.INFO : level;
    }
}
