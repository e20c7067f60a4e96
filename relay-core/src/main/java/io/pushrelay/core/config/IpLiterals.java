package io.pushrelay.core.config;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * Strict IP-literal and host-name syntax, without ever asking DNS. ({@code InetAddress.getByName}
 * accepts {@code 127.1} and would look up anything it cannot parse.)
 */
final class IpLiterals {
    private static final Pattern IPV4 = Pattern.compile("(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)(\\.(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)){3}");
    private static final Pattern IPV6_CHARS = Pattern.compile("[0-9a-fA-F:.]{2,45}");
    private static final Pattern LABEL = Pattern.compile("[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?");

    private IpLiterals() {
    }

    static boolean isIpv4(String s) {
        return IPV4.matcher(s).matches();
    }

    /** The address of an IPv4 or IPv6 literal (IPv6 without brackets), or null if it is not one. */
    static InetAddress parse(String s) {
        if (isIpv4(s)) {
            String[] parts = s.split("\\.");
            byte[] b = new byte[4];
            for (int i = 0; i < 4; i++) {
                b[i] = (byte) Integer.parseInt(parts[i]);
            }
            return byAddress(b);
        }
        if (!s.contains(":") || !IPV6_CHARS.matcher(s).matches() || !validIpv6Shape(s)) {
            return null;
        }
        try {
            // With a colon in it, the JDK parses the text as an IPv6 literal and never resolves it.
            return InetAddress.getByName("[" + s + "]");
        } catch (UnknownHostException e) {
            return null;
        }
    }

    /** RFC 1123 host name, lower-cased: labels of letters, digits and inner hyphens, at most 253 characters. */
    static boolean isHostName(String s) {
        if (s.isEmpty() || s.length() > 253 || isIpv4(s)) {
            return false;
        }
        for (String label : s.toLowerCase(Locale.ROOT).split("\\.", -1)) {
            if (!LABEL.matcher(label).matches()) {
                return false;
            }
        }
        // An all-numeric last label is a malformed IPv4 address, not a name (RFC 3696 2).
        String last = s.substring(s.lastIndexOf('.') + 1);
        return !last.chars().allMatch(Character::isDigit);
    }

    private static boolean validIpv6Shape(String s) {
        int doubleColon = s.indexOf("::");
        if (doubleColon >= 0 && s.indexOf("::", doubleColon + 1) >= 0) {
            return false;
        }
        String[] groups = s.split(":", -1);
        int count = 0;
        for (int i = 0; i < groups.length; i++) {
            String g = groups[i];
            if (g.isEmpty()) {
                continue;
            }
            if (g.contains(".")) {
                if (i != groups.length - 1 || !isIpv4(g)) {
                    return false;
                }
                count += 2;
            } else if (g.length() > 4) {
                return false;
            } else {
                count++;
            }
        }
        return doubleColon >= 0 ? count <= 7 : count == 8;
    }

    private static InetAddress byAddress(byte[] b) {
        try {
            return InetAddress.getByAddress(b);
        } catch (UnknownHostException e) {
            throw new IllegalStateException(e);
        }
    }
}
