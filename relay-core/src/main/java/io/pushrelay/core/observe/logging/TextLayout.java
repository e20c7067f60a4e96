package io.pushrelay.core.observe.logging;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.IThrowableProxy;
import ch.qos.logback.core.LayoutBase;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.slf4j.event.KeyValuePair;

/**
 * One line of text per event:
 *
 * <pre>
 * 2026-11-26T03:12:01.123Z INFO  [thread] logger - message key=value exception="java.io.IOException: reset"
 * </pre>
 *
 * <p>Time in UTC with milliseconds; the level padded to five characters; the logger's full
 * name; the formatted message; then the event's SLF4J key-value pairs in order and its MDC
 * entries sorted by key, as {@code key=value} ({@code "quoted"} when the value is empty or
 * holds a space, {@code "} or {@code =}); then an attached exception as
 * {@code exception="class: message; caused by: class: message"}. When the event is DEBUG or
 * TRACE, or the root logger is, the full stack trace follows on continuation lines, each
 * starting with a tab (Java's own layout, indented by one more tab).
 *
 * <p>With {@link #setMessageOnly messageOnly} (the access log, whose messages are whole
 * lines already) a line is the message alone.
 *
 * <p>Every string goes through {@link Redactor#redact} and then has its line breaks and
 * control characters escaped, so an event is one line (plus its tab-led stack lines) whatever
 * a client sent. Thread-safe after {@link #start()}.
 */
public final class TextLayout extends LayoutBase<ILoggingEvent> implements LineLayout {
    private boolean messageOnly;
    private Logger root;

    /** Writes only the message (and a line break): the access log's format. */
    public void setMessageOnly(boolean messageOnly) {
        this.messageOnly = messageOnly;
    }

    public boolean isMessageOnly() {
        return messageOnly;
    }

    @Override
    public void start() {
        root = ((LoggerContext) getContext()).getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        super.start();
    }

    @Override
    public String doLayout(ILoggingEvent event) {
        StringBuilder line = new StringBuilder(256);
        appendTo(line, event);
        return line.toString();
    }

    @Override
    public void appendTo(StringBuilder line, ILoggingEvent event) {
        String message = LogLines.message(event);
        if (messageOnly) {
            appendRedacted(line, message);
            line.append('\n');
            return;
        }
        Level level = event.getLevel();
        line.append(LogLines.timestamp(event)).append(' ').append(level.levelStr);
        for (int pad = level.levelStr.length(); pad < 5; pad++) {
            line.append(' ');
        }
        line.append(" [");
        appendRedacted(line, event.getThreadName());
        line.append("] ").append(event.getLoggerName()).append(" - ");
        appendRedacted(line, message);
        List<KeyValuePair> pairs = event.getKeyValuePairs();
        if (pairs != null) {
            for (KeyValuePair pair : pairs) {
                appendField(line, pair.key, String.valueOf(pair.value));
            }
        }
        Map<String, String> mdc = event.getMDCPropertyMap();
        if (mdc != null && !mdc.isEmpty()) {
            for (Map.Entry<String, String> e : new TreeMap<>(mdc).entrySet()) {
                appendField(line, e.getKey(), e.getValue());
            }
        }
        IThrowableProxy thrown = event.getThrowableProxy();
        if (thrown != null) {
            appendField(line, "exception", LogLines.exceptionSummary(thrown));
        }
        line.append('\n');
        if (thrown != null && LogLines.withStack(event, root.getEffectiveLevel())) {
            for (String stackLine : LogLines.stackTrace(thrown).split("\r?\n")) {
                // One more tab than Java's own indentation, so every continuation line starts with one.
                int indent = 0;
                while (indent < stackLine.length() && stackLine.charAt(indent) == '\t') {
                    indent++;
                }
                line.append('\t').append(stackLine, 0, indent);
                LogLines.appendOneLine(line, stackLine.substring(indent));
                line.append('\n');
            }
        }
    }

    private static void appendRedacted(StringBuilder line, String text) {
        if (text != null) {
            LogLines.appendOneLine(line, Redactor.redact(text));
        }
    }

    private static void appendField(StringBuilder line, String key, String value) {
        line.append(' ');
        appendRedacted(line, key == null ? "null" : key);
        line.append('=');
        String safe = value == null ? "null" : Redactor.redact(value);
        if (safe.isEmpty() || needsQuotes(safe)) {
            line.append('"');
            LogLines.appendOneLine(line, safe, true);
            line.append('"');
        } else {
            LogLines.appendOneLine(line, safe);
        }
    }

    private static boolean needsQuotes(String value) {
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (c <= ' ' || c == '"' || c == '=' || c == '\\' || Character.isWhitespace(c)) {
                return true;
            }
        }
        return false;
    }
}
