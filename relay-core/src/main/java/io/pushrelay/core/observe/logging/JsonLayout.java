package io.pushrelay.core.observe.logging;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.IThrowableProxy;
import ch.qos.logback.core.LayoutBase;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.slf4j.event.KeyValuePair;

/**
 * One JSON object per event, on one line ({@code --log-format json}). The fields, in this order:
 *
 * <table>
 *   <caption>JSON log fields</caption>
 *   <tr><th>field</th><th>value</th></tr>
 *   <tr><td>{@code ts}</td><td>string, UTC with milliseconds: {@code "2026-11-26T03:12:01.123Z"}</td></tr>
 *   <tr><td>{@code level}</td><td>string: {@code "ERROR" "WARN" "INFO" "DEBUG" "TRACE"}</td></tr>
 *   <tr><td>{@code logger}</td><td>string, the logger's full name ({@code "push-relay.access"} for the access log)</td></tr>
 *   <tr><td>{@code thread}</td><td>string</td></tr>
 *   <tr><td>{@code msg}</td><td>string, the formatted message (null if the event had none)</td></tr>
 *   <tr><td><i>key</i></td><td>each SLF4J key-value pair ({@code addKeyValue}), in order: a
 *       number for {@code Integer Long Short Byte BigInteger BigDecimal} and finite
 *       {@code Double Float}, {@code true}/{@code false} for {@code Boolean}, {@code null}
 *       for null, else the value's {@code toString()} as a string</td></tr>
 *   <tr><td><i>key</i></td><td>each MDC entry, sorted by key, as a string</td></tr>
 *   <tr><td>{@code exception}</td><td>when the event carries one: an object with
 *       {@code class}, {@code message} (absent when null), {@code cause} (the same shape,
 *       at most 8 deep) and, when the event is DEBUG or TRACE or
 *       the root logger is, {@code stack}: the full stack trace as one string</td></tr>
 * </table>
 *
 * <p>A key-value or MDC key equal to a field already written gets {@code _} appended until it
 * is unique, so an object never repeats a name. Strings are escaped as RFC 8259 requires (see
 * {@link LogLines#appendJsonString}); non-ASCII characters are written as they are, and the
 * encoder must write UTF-8. Every string value goes through {@link Redactor#redact} first.
 * Thread-safe after {@link #start()}.
 */
public final class JsonLayout extends LayoutBase<ILoggingEvent> implements LineLayout {
    /** The field names this layout always uses; a key-value or MDC key equal to one is renamed. */
    public static final List<String> FIELDS = List.of("ts", "level", "logger", "thread", "msg", "exception");

    private Logger root;

    @Override
    public void start() {
        root = ((LoggerContext) getContext()).getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        super.start();
    }

    @Override
    public String doLayout(ILoggingEvent event) {
        StringBuilder json = new StringBuilder(320);
        appendTo(json, event);
        return json.toString();
    }

    @Override
    public void appendTo(StringBuilder json, ILoggingEvent event) {
        json.append("{\"ts\":\"").append(LogLines.timestamp(event)).append('"');
        json.append(",\"level\":\"").append(event.getLevel().levelStr).append('"');
        json.append(",\"logger\":");
        LogLines.appendJsonString(json, event.getLoggerName());
        json.append(",\"thread\":");
        appendString(json, event.getThreadName());
        json.append(",\"msg\":");
        appendString(json, LogLines.message(event));

        List<KeyValuePair> pairs = event.getKeyValuePairs();
        Map<String, String> mdc = event.getMDCPropertyMap();
        boolean hasPairs = pairs != null && !pairs.isEmpty();
        boolean hasMdc = mdc != null && !mdc.isEmpty();
        if (hasPairs || hasMdc) {
            Set<String> names = new HashSet<>(FIELDS);
            if (hasPairs) {
                for (KeyValuePair pair : pairs) {
                    appendName(json, names, pair.key);
                    appendValue(json, pair.value);
                }
            }
            if (hasMdc) {
                for (Map.Entry<String, String> e : new TreeMap<>(mdc).entrySet()) {
                    appendName(json, names, e.getKey());
                    appendString(json, e.getValue());
                }
            }
        }

        IThrowableProxy thrown = event.getThrowableProxy();
        if (thrown != null) {
            json.append(",\"exception\":");
            appendException(json, thrown, 0);
            if (LogLines.withStack(event, root.getEffectiveLevel())) {
                json.setLength(json.length() - 1);
                json.append(",\"stack\":");
                LogLines.appendJsonString(json, LogLines.stackTrace(thrown));
                json.append('}');
            }
        }
        json.append("}\n");
    }

    private static void appendName(StringBuilder json, Set<String> names, String key) {
        String name = Redactor.redact(key == null ? "null" : key);
        while (!names.add(name)) {
            name = name + "_";
        }
        json.append(',');
        LogLines.appendJsonString(json, name);
        json.append(':');
    }

    private static void appendValue(StringBuilder json, Object value) {
        if (value == null) {
            json.append("null");
        } else if (value instanceof Boolean) {
            json.append(value);
        } else if (value instanceof Integer || value instanceof Long || value instanceof Short
                || value instanceof Byte || value instanceof BigInteger || value instanceof BigDecimal) {
            json.append(value);
        } else if ((value instanceof Double d && Double.isFinite(d)) || (value instanceof Float f && Float.isFinite(f))) {
            json.append(value);
        } else {
            appendString(json, String.valueOf(value));
        }
    }

    private static void appendException(StringBuilder json, IThrowableProxy thrown, int depth) {
        json.append("{\"class\":");
        LogLines.appendJsonString(json, thrown.getClassName());
        if (thrown.getMessage() != null) {
            json.append(",\"message\":");
            appendString(json, thrown.getMessage());
        }
        IThrowableProxy cause = thrown.getCause();
        if (cause != null && depth + 1 < LogLines.MAX_CAUSES) {
            json.append(",\"cause\":");
            appendException(json, cause, depth + 1);
        }
        json.append('}');
    }

    private static void appendString(StringBuilder json, String text) {
        if (text == null) {
            json.append("null");
        } else {
            LogLines.appendJsonString(json, Redactor.redact(text));
        }
    }
}
