package io.pushrelay.core.inbound;

import java.util.List;

/**
 * The {@code host} parameter of a {@code Forwarded} header (RFC 7239): that of the first element
 * which has one, elements separated by {@code ,} (header lines continue the list), pairs by
 * {@code ;}, values a token or a quoted string. The host must look like an authority
 * ({@code name[:port]}, {@code [v6][:port]}): nothing else is taken as a routing key.
 */
final class ForwardedHost {
    /** What a header says: malformed, or the host (null when no element has one). */
    record Result(boolean malformed, String host) {
        static final Result NONE = new Result(false, null);
        static final Result MALFORMED = new Result(true, null);
    }

    private final String text;
    private int i;

    private ForwardedHost(String text) {
        this.text = text;
    }

    static Result of(List<? extends CharSequence> values) {
        for (CharSequence value : values) {
            Result r = new ForwardedHost(value.toString()).parse();
            if (r.malformed() || r.host() != null) {
                return r;
            }
        }
        return Result.NONE;
    }

    private Result parse() {
        while (true) {
            String host = null;
            skipSpaces();
            if (i >= text.length()) {
                return Result.NONE;
            }
            if (text.charAt(i) != ',') {
                do {
                    skipSpaces();
                    int start = i;
                    while (i < text.length() && isTchar(text.charAt(i))) {
                        i++;
                    }
                    String name = text.substring(start, i);
                    if (name.isEmpty() || i >= text.length() || text.charAt(i) != '=') {
                        return Result.MALFORMED;
                    }
                    i++;
                    String value = value();
                    if (value == null) {
                        return Result.MALFORMED;
                    }
                    if (host == null && name.equalsIgnoreCase("host")) {
                        host = value;
                    }
                    skipSpaces();
                } while (take(';'));
            }
            if (host != null) {
                return isAuthority(host) ? new Result(false, host) : Result.MALFORMED;
            }
            if (i < text.length() && !take(',')) {
                return Result.MALFORMED;
            }
        }
    }

    /** A quoted string (escapes undone) or a run of value characters; null when malformed. */
    private String value() {
        StringBuilder out = new StringBuilder();
        if (i < text.length() && text.charAt(i) == '"') {
            i++;
            while (i < text.length()) {
                char c = text.charAt(i++);
                if (c == '"') {
                    return out.toString();
                }
                if (c == '\\' && i < text.length()) {
                    c = text.charAt(i++);
                }
                out.append(c);
            }
            return null;
        }
        while (i < text.length() && ";, \t\"".indexOf(text.charAt(i)) < 0) {
            out.append(text.charAt(i++));
        }
        return out.length() == 0 ? null : out.toString();
    }

    private boolean take(char c) {
        if (i < text.length() && text.charAt(i) == c) {
            i++;
            return true;
        }
        return false;
    }

    private void skipSpaces() {
        while (i < text.length() && (text.charAt(i) == ' ' || text.charAt(i) == '\t')) {
            i++;
        }
    }

    /** RFC 9110 5.6.2 token characters. */
    private static boolean isTchar(char c) {
        return c < 128 && (Character.isLetterOrDigit(c) || "!#$%&'*+-.^_`|~".indexOf(c) >= 0);
    }

    /** {@code name}, {@code name:port}, {@code [v6]} or {@code [v6]:port}; letters, digits, '-', '.' in names. */
    static boolean isAuthority(String host) {
        if (host.isEmpty() || host.length() > 261) {
            return false;
        }
        String port = null;
        if (host.startsWith("[")) {
            int close = host.indexOf(']');
            if (close <= 1) {
                return false;
            }
            for (int k = 1; k < close; k++) {
                char c = host.charAt(k);
                if (Character.digit(c, 16) < 0 && c != ':' && c != '.') {
                    return false;
                }
            }
            String rest = host.substring(close + 1);
            if (!rest.isEmpty()) {
                if (!rest.startsWith(":")) {
                    return false;
                }
                port = rest.substring(1);
            }
        } else {
            int colon = host.indexOf(':');
            String name = colon < 0 ? host : host.substring(0, colon);
            port = colon < 0 ? null : host.substring(colon + 1);
            if (name.isEmpty()) {
                return false;
            }
            for (int k = 0; k < name.length(); k++) {
                char c = name.charAt(k);
                if (!(c < 128 && Character.isLetterOrDigit(c)) && c != '-' && c != '.') {
                    return false;
                }
            }
        }
        if (port == null) {
            return true;
        }
        if (port.isEmpty() || port.length() > 5 || !port.chars().allMatch(Character::isDigit)) {
            return false;
        }
        int p = Integer.parseInt(port);
        return p > 0 && p < 65536;
    }
}
