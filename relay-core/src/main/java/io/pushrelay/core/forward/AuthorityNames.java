package io.pushrelay.core.forward;

import java.util.Locale;

/** Parsing of {@code host[:port]} authorities (RFC 3986 3.2.2), IPv6 literals included. */
public final class AuthorityNames {
    private AuthorityNames() {
    }

    /** The host part, lower-cased, without brackets or port; empty for null. */
    public static String hostOf(String authority) {
        if (authority == null) {
            return "";
        }
        String a = authority.trim();
        int at = a.lastIndexOf('@');
        if (at >= 0) {
            a = a.substring(at + 1);
        }
        if (a.startsWith("[")) {
            int close = a.indexOf(']');
            return close > 0 ? a.substring(1, close).toLowerCase(Locale.ROOT) : a.toLowerCase(Locale.ROOT);
        }
        int colon = a.indexOf(':');
        if (colon >= 0 && a.indexOf(':', colon + 1) < 0) {
            a = a.substring(0, colon);
        }
        if (a.endsWith(".")) {
            a = a.substring(0, a.length() - 1);
        }
        return a.toLowerCase(Locale.ROOT);
    }

    /** The port part, or {@code defaultPort} when absent or malformed. */
    public static int portOf(String authority, int defaultPort) {
        if (authority == null) {
            return defaultPort;
        }
        String a = authority.trim();
        int close = a.lastIndexOf(']');
        int colon = a.lastIndexOf(':');
        if (colon < 0 || colon < close || (close < 0 && a.indexOf(':') != colon)) {
            return defaultPort;
        }
        try {
            int port = Integer.parseInt(a.substring(colon + 1));
            return port > 0 && port < 65536 ? port : defaultPort;
        } catch (NumberFormatException e) {
            return defaultPort;
        }
    }
}
