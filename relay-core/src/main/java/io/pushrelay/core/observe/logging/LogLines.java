package io.pushrelay.core.observe.logging;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.IThrowableProxy;
import ch.qos.logback.classic.spi.ThrowableProxyUtil;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;

/** What {@link TextLayout} and {@link JsonLayout} share: time, exception text, character escaping. Stateless. */
final class LogLines {
    /** UTC, milliseconds, always three digits: {@code 2026-11-26T03:12:01.123Z}. */
    static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss.SSS'Z'")
            .withZone(ZoneOffset.UTC);
    /** Causes followed in an exception summary; a deeper chain ends in {@code …}. */
    static final int MAX_CAUSES = 8;

    private static final char[] HEX = "0123456789abcdef".toCharArray();
    private static final char REPLACEMENT = '\uFFFD';

    private LogLines() {
    }

    /**
     * The event's formatted message. A message that is one argument alone ({@code "{}"}, as the
     * access log logs its entries) is that argument's {@code toString()}, without SLF4J's
     * formatter building a copy of it; anything else is logback's formatted message.
     */
    static String message(ILoggingEvent event) {
        Object[] args = event.getArgumentArray();
        if (args != null && args.length == 1 && "{}".equals(event.getMessage())) {
            Object arg = args[0];
            if (arg != null && !arg.getClass().isArray()) {
                return arg.toString();
            }
        }
        return event.getFormattedMessage();
    }

    static String timestamp(ILoggingEvent event) {
        return TIME.format(event.getInstant());
    }

    /**
     * Whether an exception's stack trace goes with the event: when the event itself is DEBUG or
     * TRACE, or the configured level ({@code root}) is; otherwise only its summary.
     */
    static boolean withStack(ILoggingEvent event, Level rootLevel) {
        return event.getLevel().toInt() <= Level.DEBUG_INT || rootLevel.toInt() <= Level.DEBUG_INT;
    }

    /** {@code class: message; caused by: class: message…}, redacted. */
    static String exceptionSummary(IThrowableProxy proxy) {
        StringBuilder out = new StringBuilder(128);
        IThrowableProxy p = proxy;
        for (int depth = 0; p != null; depth++, p = p.getCause()) {
            if (depth > 0) {
                out.append("; caused by: ");
            }
            if (depth == MAX_CAUSES) {
                out.append('…');
                break;
            }
            out.append(p.getClassName());
            if (p.getMessage() != null) {
                out.append(": ").append(p.getMessage());
            }
        }
        return Redactor.redact(out.toString());
    }

    /** The full stack trace, with causes and suppressed exceptions, redacted; lines end in {@code \n}. */
    static String stackTrace(IThrowableProxy proxy) {
        return Redactor.redact(ThrowableProxyUtil.asString(proxy));
    }

    /**
     * Appends {@code text} so that it stays on one line and cannot drive a terminal: CR, LF and
     * TAB as {@code \r \n \t}, other C0/C1 controls, DEL, U+2028 and U+2029 as {@code \}{@code uXXXX},
     * an unpaired surrogate as U+FFFD. Everything else, other non-ASCII included, as it is.
     */
    static void appendOneLine(StringBuilder out, String text) {
        appendOneLine(out, text, false);
    }

    /** {@link #appendOneLine(StringBuilder, String)}, and with {@code quoted} also {@code "} and {@code \} escaped. */
    static void appendOneLine(StringBuilder out, String text, boolean quoted) {
        if (isPlain(text, quoted)) {
            out.append(text); // the common case: nothing to escape, one bulk copy
            return;
        }
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (quoted && (c == '"' || c == '\\')) {
                out.append('\\').append(c);
                continue;
            }
            switch (c) {
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                default -> i = appendOther(out, text, i, c);
            }
        }
    }

    /**
     * Appends {@code text} as a JSON string (RFC 8259 section 7), quotes included: {@code "} and
     * {@code \} escaped, control characters as {@code \b \f \n \r \t} or {@code \}{@code u00XX},
     * DEL, C1 controls, U+2028 and U+2029 as {@code \}{@code uXXXX}, an unpaired surrogate as
     * U+FFFD; all other characters, non-ASCII included, as they are (the output is UTF-8).
     */
    static void appendJsonString(StringBuilder out, String text) {
        out.append('"');
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                case '\b' -> out.append("\\b");
                case '\f' -> out.append("\\f");
                default -> i = appendOther(out, text, i, c);
            }
        }
        out.append('"');
    }

    /** True when {@link #appendOneLine} would copy {@code text} unchanged (surrogates count as not plain). */
    private static boolean isPlain(String text, boolean quoted) {
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c < 0x20 || (c >= 0x7f && c <= 0x9f) || c == '\u2028' || c == '\u2029' || Character.isSurrogate(c)
                    || (quoted && (c == '"' || c == '\\'))) {
                return false;
            }
        }
        return true;
    }

    /** Appends {@code c} at {@code i}, escaped if it is a control or a stray surrogate; returns the last index used. */
    private static int appendOther(StringBuilder out, String text, int i, char c) {
        if (c < 0x20 || (c >= 0x7f && c <= 0x9f) || c == '\u2028' || c == '\u2029') {
            out.append("\\u").append(HEX[c >> 12]).append(HEX[(c >> 8) & 0xf])
                    .append(HEX[(c >> 4) & 0xf]).append(HEX[c & 0xf]);
            return i;
        }
        if (Character.isHighSurrogate(c) && i + 1 < text.length() && Character.isLowSurrogate(text.charAt(i + 1))) {
            out.append(c).append(text.charAt(i + 1));
            return i + 1;
        }
        out.append(Character.isSurrogate(c) ? REPLACEMENT : c);
        return i;
    }
}
