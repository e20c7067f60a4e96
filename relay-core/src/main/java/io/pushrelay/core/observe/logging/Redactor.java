package io.pushrelay.core.observe.logging;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The safety net under every log line the relay writes: whatever a caller formatted, device
 * tokens and credentials do not reach the output. Both layouts ({@link TextLayout},
 * {@link JsonLayout}) pass the message, every key-value and MDC value, the thread name and the
 * exception messages and stack through {@link #redact(String)}.
 *
 * <ul>
 *   <li>An APNS device token path, {@code /3/device/<token>} (any case), keeps the token's first
 *       {@value #SHOWN_TOKEN_CHARS} characters and ends it with {@code …}; the token runs to the
 *       next space, quote, bracket, {@code / ? # & , ; = < >} or control character. A token
 *       already cut that way ({@code abcdef…}) comes out unchanged.</li>
 *   <li>The value of an {@code authorization} or {@code proxy-authorization} field
 *       ({@code name: value}, {@code name=value}, {@code "name":"value"}) becomes
 *       {@value #REDACTED}; a scheme word before it ({@code bearer}, {@code Basic}) stays.</li>
 *   <li>A credential after the word {@code bearer} (16 or more token characters) becomes
 *       {@value #REDACTED}.</li>
 *   <li>Anything shaped like a JWT ({@code eyJ} and 10 or more base64url characters, with its
 *       dot-separated parts) becomes {@value #REDACTED}.</li>
 * </ul>
 *
 * <p>Stateless and thread-safe. A string with nothing to hide is returned as the same
 * instance after a few {@code indexOf} scans, so the per-line cost is small.
 */
public final class Redactor {
    /** What a credential becomes. */
    public static final String REDACTED = "<redacted>";
    /** How many characters of a device token stay visible. */
    public static final int SHOWN_TOKEN_CHARS = 6;

    private static final String DEVICE_PREFIX = "/3/device/";
    private static final char ELLIPSIS = '…';

    /** {@code authorization} (also the tail of {@code proxy-authorization}), its separator, an optional scheme word, then the value. */
    private static final Pattern AUTHORIZATION_VALUE = Pattern.compile(
            "(?i)(authorization\\\\?[\"']?\\s*[:=]\\s*\\\\?[\"']?(?:[a-z][a-z0-9_-]*\\s+)?)[^\\s,;\"'\\\\\\]})]+");
    private static final Pattern BEARER_CREDENTIAL = Pattern.compile(
            "(?i)(\\bbearer\\s+)[a-z0-9._~+/=-]{16,}");
    private static final Pattern JWT = Pattern.compile(
            "eyJ[A-Za-z0-9_-]{10,}(?:\\.[A-Za-z0-9_-]*)*");

    private Redactor() {
    }

    /** {@code text} with device tokens cut and credentials replaced; null stays null. */
    public static String redact(String text) {
        if (text == null || text.length() < 3) {
            return text;
        }
        int seen = scan(text);
        if (seen == 0) {
            return text;
        }
        String out = text;
        if ((seen & AUTHORIZATION) != 0) {
            out = AUTHORIZATION_VALUE.matcher(out).replaceAll("$1" + Matcher.quoteReplacement(REDACTED));
        }
        if ((seen & BEARER) != 0) {
            out = BEARER_CREDENTIAL.matcher(out).replaceAll("$1" + Matcher.quoteReplacement(REDACTED));
        }
        if ((seen & JWT_START) != 0) {
            out = JWT.matcher(out).replaceAll(Matcher.quoteReplacement(REDACTED));
        }
        return (seen & DEVICE) != 0 ? maskDeviceTokens(out) : out;
    }

    private static final int AUTHORIZATION = 1;
    private static final int BEARER = 2;
    private static final int JWT_START = 4;
    private static final int DEVICE = 8;

    /**
     * One pass over {@code text} for what the rules look for (most lines hold none): a bit per
     * rule that may apply. Replacing a credential never makes a device path, so the bits found
     * in the original text stay right for the later rules.
     */
    private static int scan(String text) {
        int seen = 0;
        for (int i = 0, n = text.length(); i < n; i++) {
            char c = text.charAt(i);
            switch (c) {
                case 'u', 'U' -> {
                    if (text.regionMatches(true, i, "uthorization", 0, 12)) {
                        seen |= AUTHORIZATION;
                    }
                }
                case 'b', 'B' -> {
                    if (text.regionMatches(true, i, "bearer", 0, 6)) {
                        seen |= BEARER;
                    }
                }
                case 'e' -> {
                    if (text.startsWith("eyJ", i)) {
                        seen |= JWT_START;
                    }
                }
                case '/' -> {
                    if (text.regionMatches(true, i, DEVICE_PREFIX, 0, DEVICE_PREFIX.length())) {
                        seen |= DEVICE;
                    }
                }
                default -> {
                }
            }
        }
        return seen;
    }

    /** Only the device-token rule of {@link #redact}. */
    static String maskDeviceTokens(String text) {
        int at = indexOfIgnoreCase(text, DEVICE_PREFIX, 0);
        if (at < 0) {
            return text;
        }
        StringBuilder out = null;
        int copied = 0;
        while (at >= 0) {
            int start = at + DEVICE_PREFIX.length();
            int end = start;
            while (end < text.length() && isTokenChar(text.charAt(end))) {
                end++;
            }
            boolean alreadyCut = end - start == SHOWN_TOKEN_CHARS + 1 && text.charAt(end - 1) == ELLIPSIS;
            if (end - start > SHOWN_TOKEN_CHARS && !alreadyCut) {
                if (out == null) {
                    out = new StringBuilder(text.length());
                }
                out.append(text, copied, start + SHOWN_TOKEN_CHARS).append(ELLIPSIS);
                copied = end;
            }
            at = indexOfIgnoreCase(text, DEVICE_PREFIX, end);
        }
        if (out == null) {
            return text;
        }
        return out.append(text, copied, text.length()).toString();
    }

    private static boolean isTokenChar(char c) {
        if (c <= ' ' || c == 0x7f || Character.isWhitespace(c) || Character.isISOControl(c)) {
            return false;
        }
        return switch (c) {
            case '/', '?', '#', '&', ',', ';', '=', '"', '\'', '\\', '<', '>', '(', ')', '[', ']', '{', '}' -> false;
            default -> true;
        };
    }

    /** {@code needle} is lower case ASCII. */
    private static int indexOfIgnoreCase(String text, String needle, int from) {
        char first = needle.charAt(0);
        char firstUpper = Character.toUpperCase(first);
        int last = text.length() - needle.length();
        for (int i = from; i <= last; i++) {
            char c = text.charAt(i);
            if ((c == first || c == firstUpper) && text.regionMatches(true, i + 1, needle, 1, needle.length() - 1)) {
                return i;
            }
        }
        return -1;
    }
}
