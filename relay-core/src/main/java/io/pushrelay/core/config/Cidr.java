package io.pushrelay.core.config;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;

/**
 * An address range, {@code 10.0.0.0/8} or {@code fd00::/8}; a bare address is a range of one
 * ({@code /32}, {@code /128}). Host bits must be zero ({@code 10.1.2.3/8} is refused: it is
 * almost always a typo for {@code 10.1.2.3/32} or {@code 10.0.0.0/8}). Immutable.
 *
 * @param network      the first address of the range
 * @param prefixLength 0-32 for IPv4, 0-128 for IPv6
 */
public record Cidr(InetAddress network, int prefixLength) {
    public Cidr {
        int bits = network.getAddress().length * 8;
        if (prefixLength < 0 || prefixLength > bits) {
            throw new InvalidValueException("prefix length must be between 0 and " + bits + ", got " + prefixLength);
        }
        byte[] b = network.getAddress();
        if (!equalPrefix(b, mask(b, prefixLength), b.length * 8)) {
            throw new InvalidValueException("host bits set in " + text(network) + "/" + prefixLength
                    + " (did you mean " + text(of(mask(b, prefixLength))) + "/" + prefixLength + "?)");
        }
    }

    /** Parses {@code ADDRESS/BITS} or a bare {@code ADDRESS}; throws {@link InvalidValueException}. */
    public static Cidr parse(String text) {
        if (text == null || text.isBlank()) {
            throw new InvalidValueException("expected an address range such as 10.0.0.0/8, got nothing");
        }
        String s = text.strip();
        int slash = s.indexOf('/');
        String address = slash < 0 ? s : s.substring(0, slash);
        InetAddress ip = IpLiterals.parse(address);
        if (ip == null) {
            throw new InvalidValueException("expected an address range such as 10.0.0.0/8 or fd00::/8, got '" + text + "'");
        }
        int bits = ip.getAddress().length * 8;
        if (slash < 0) {
            return new Cidr(ip, bits);
        }
        String len = s.substring(slash + 1);
        if (len.isEmpty() || len.length() > 3 || !len.chars().allMatch(Character::isDigit)) {
            throw new InvalidValueException("prefix length must be a number between 0 and " + bits + ", got '" + len + "' in '" + text + "'");
        }
        int prefix = Integer.parseInt(len);
        if (prefix > bits) {
            throw new InvalidValueException("prefix length must be between 0 and " + bits + ", got " + prefix + " in '" + text + "'");
        }
        return new Cidr(ip, prefix);
    }

    /**
     * Whether {@code address} is in this range. An IPv4-mapped IPv6 address ({@code ::ffff:10.0.0.1},
     * what a dual-stack socket may report) counts as its IPv4 address.
     */
    public boolean contains(InetAddress address) {
        byte[] a = address.getAddress();
        if (address instanceof Inet6Address && network instanceof Inet4Address && isV4Mapped(a)) {
            a = java.util.Arrays.copyOfRange(a, 12, 16);
        }
        byte[] n = network.getAddress();
        return a.length == n.length && equalPrefix(a, n, prefixLength);
    }

    /** {@code 10.0.0.0/8}, {@code ::1/128} (IPv6 in its shortest form). */
    @Override
    public String toString() {
        return text(network) + "/" + prefixLength;
    }

    private static String text(InetAddress a) {
        return a instanceof Inet6Address ? shortIpv6(a.getAddress()) : a.getHostAddress();
    }

    private static boolean isV4Mapped(byte[] a) {
        for (int i = 0; i < 10; i++) {
            if (a[i] != 0) {
                return false;
            }
        }
        return a[10] == (byte) 0xff && a[11] == (byte) 0xff;
    }

    private static boolean equalPrefix(byte[] a, byte[] b, int bits) {
        for (int i = 0; i < bits; i++) {
            int bit = 0x80 >>> (i & 7);
            if ((a[i >>> 3] & bit) != (b[i >>> 3] & bit)) {
                return false;
            }
        }
        return true;
    }

    private static byte[] mask(byte[] address, int prefix) {
        byte[] out = address.clone();
        for (int i = prefix; i < out.length * 8; i++) {
            out[i >>> 3] &= (byte) ~(0x80 >>> (i & 7));
        }
        return out;
    }

    private static InetAddress of(byte[] b) {
        try {
            return InetAddress.getByAddress(b);
        } catch (UnknownHostException e) {
            throw new IllegalStateException(e);
        }
    }

    /** RFC 5952 form: lower case, the longest run of zero groups (two or more) as {@code ::}. */
    static String shortIpv6(byte[] b) {
        int[] g = new int[8];
        for (int i = 0; i < 8; i++) {
            g[i] = ((b[2 * i] & 0xff) << 8) | (b[2 * i + 1] & 0xff);
        }
        int bestStart = -1;
        int bestLen = 0;
        for (int i = 0; i < 8; ) {
            if (g[i] != 0) {
                i++;
                continue;
            }
            int j = i;
            while (j < 8 && g[j] == 0) {
                j++;
            }
            if (j - i > bestLen && j - i >= 2) {
                bestStart = i;
                bestLen = j - i;
            }
            i = j;
        }
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < 8; i++) {
            if (i == bestStart) {
                out.append("::");
                i += bestLen - 1;
                continue;
            }
            if (out.length() > 0 && out.charAt(out.length() - 1) != ':') {
                out.append(':');
            }
            out.append(Integer.toHexString(g[i]));
        }
        return out.toString();
    }
}
