package io.pushrelay.certs;

import java.math.BigInteger;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Pattern;
import org.bouncycastle.asn1.ASN1OctetString;
import org.bouncycastle.asn1.ASN1String;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralSubtree;
import org.bouncycastle.asn1.x509.NameConstraints;

/**
 * Name syntax, and the name constraints of a CA: which DNS subtrees and address ranges it may
 * sign for (RFC 5280 4.2.1.10: a DNS subtree matches the name and every name under it; a name
 * type with no permitted subtree is not constrained). The static syntax checks throw
 * {@link IllegalArgumentException} with a message fit for the command line; {@link #check}
 * throws {@link CertsException} naming the constraint. Immutable and thread-safe.
 */
public final class NameRules {
    private static final Pattern LABEL = Pattern.compile("[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?");
    private static final Pattern DIGITS = Pattern.compile("[0-9]+");
    private static final Pattern CLIENT_NAME = Pattern.compile("[A-Za-z0-9]([A-Za-z0-9._-]{0,62})");
    private static final String OCTET = "(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])";
    private static final Pattern IPV4 = Pattern.compile(OCTET + "(\\." + OCTET + "){3}");
    private static final Pattern IPV6_CHARS = Pattern.compile("[0-9a-fA-F:.]+");

    private final List<String> dns;
    private final List<String> ranges;
    private final List<String> excludedDns;
    private final List<String> excludedRanges;
    private final boolean constrained;

    private NameRules(List<String> dns, List<String> ranges, List<String> excludedDns,
                      List<String> excludedRanges, boolean constrained) {
        this.dns = dns;
        this.ranges = ranges;
        this.excludedDns = excludedDns;
        this.excludedRanges = excludedRanges;
        this.constrained = constrained;
    }

    static NameRules of(X509Certificate ca) {
        byte[] ext = ca.getExtensionValue(org.bouncycastle.asn1.x509.Extension.nameConstraints.getId());
        if (ext == null) {
            return new NameRules(List.of(), List.of(), List.of(), List.of(), false);
        }
        NameConstraints constraints = NameConstraints.getInstance(ASN1OctetString.getInstance(ext).getOctets());
        List<String> dns = new ArrayList<>();
        List<String> ranges = new ArrayList<>();
        collect(constraints.getPermittedSubtrees(), dns, ranges);
        List<String> excludedDns = new ArrayList<>();
        List<String> excludedRanges = new ArrayList<>();
        collect(constraints.getExcludedSubtrees(), excludedDns, excludedRanges);
        return new NameRules(List.copyOf(dns), List.copyOf(ranges), List.copyOf(excludedDns),
                List.copyOf(excludedRanges), true);
    }

    private static void collect(GeneralSubtree[] subtrees, List<String> dns, List<String> ranges) {
        if (subtrees == null) {
            return;
        }
        for (GeneralSubtree subtree : subtrees) {
            GeneralName base = subtree.getBase();
            if (base.getTagNo() == GeneralName.dNSName) {
                dns.add(((ASN1String) base.getName()).getString().toLowerCase(Locale.ROOT));
            } else if (base.getTagNo() == GeneralName.iPAddress) {
                ranges.add(rangeText(ASN1OctetString.getInstance(base.getName()).getOctets()));
            }
        }
    }

    Optional<List<String>> permitted() {
        if (!constrained) {
            return Optional.empty();
        }
        List<String> all = new ArrayList<>(dns);
        all.addAll(ranges);
        return Optional.of(all);
    }

    /** Refuses a name this CA may not sign for, naming the constraint. */
    void check(String name, boolean ip) {
        if (!constrained) {
            return;
        }
        if (ip) {
            byte[] address = parseIp(name).getAddress();
            for (String range : excludedRanges) {
                if (inRange(address, range)) {
                    throw new CertsException("check " + name,
                            "address excluded by the CA's name constraints (excluded range " + range + ")");
                }
            }
            if (ranges.isEmpty() || ranges.stream().anyMatch(range -> inRange(address, range))) {
                return;
            }
            throw new CertsException("check " + name,
                    "address outside the CA's name constraints (permitted ranges: " + String.join(", ", ranges)
                            + "; create the CA with --permit " + name + "/" + (address.length * 8) + ")");
        }
        String host = name.toLowerCase(Locale.ROOT);
        for (String subtree : excludedDns) {
            if (within(host, subtree)) {
                throw new CertsException("check " + name,
                        "name excluded by the CA's name constraints (excluded " + subtree + ")");
            }
        }
        if (dns.isEmpty() || dns.stream().anyMatch(subtree -> within(host, subtree))) {
            return;
        }
        throw new CertsException("check " + name,
                "name outside the CA's name constraints (permitted: " + String.join(", ", dns)
                        + "; create the CA with --permit " + (name.startsWith("*.") ? name.substring(2) : name) + ")");
    }

    /**
     * RFC 5280 4.2.1.10: {@code example.com} covers itself and every name under it. A subtree
     * written with a leading dot (other CAs make these) covers only the names under it, which
     * is how OpenSSL and Go read it. A wildcard name is checked as written: {@code *.a.b} lies
     * under {@code a.b}.
     */
    private static boolean within(String host, String subtree) {
        if (subtree.isEmpty()) {
            return true;
        }
        if (subtree.startsWith(".")) {
            return host.endsWith(subtree);
        }
        return host.equals(subtree) || host.endsWith("." + subtree);
    }

    /** A DNS name for a SAN, optionally a wildcard {@code *.example.com}; refuses IP literals. */
    public static void checkHostSyntax(String host) {
        if (host == null || host.isBlank()) {
            throw new IllegalArgumentException("empty host name");
        }
        String h = host.toLowerCase(Locale.ROOT);
        if (h.startsWith("*.")) {
            h = h.substring(2);
        }
        if (h.length() > 253 || h.endsWith(".") || h.startsWith(".")) {
            throw new IllegalArgumentException("malformed host name '" + host + "'");
        }
        String[] labels = h.split("\\.", -1);
        for (String label : labels) {
            if (!LABEL.matcher(label).matches()) {
                throw new IllegalArgumentException("malformed host name '" + host + "' (bad label '" + label + "')");
            }
        }
        // RFC 3696 2: a top-level label is never all digits; such a name is an address typed as a host.
        if (DIGITS.matcher(labels[labels.length - 1]).matches()) {
            throw new IllegalArgumentException("malformed host name '" + host + "' (an IP address? use --ip)");
        }
    }

    /** A client name: one label ({@code relay-pre}) or a DNS name ({@code pre.example.net}). */
    public static void checkClientName(String name) {
        if (name == null || name.isBlank()) {
            throw new IllegalArgumentException("empty client name");
        }
        if (!CLIENT_NAME.matcher(name).matches()) {
            throw new IllegalArgumentException("malformed client name '" + name
                    + "' (letters, digits, '.', '-', '_'; at most 63)");
        }
        if (name.contains(".")) {
            checkHostSyntax(name);
        }
    }

    /** A --permit value: a DNS name ({@code example.com}, covering every name under it) or a range ({@code 10.0.0.0/8}). */
    public static void checkPermitSyntax(String name) {
        if (name != null && name.contains("/")) {
            parseRange(name);
            return;
        }
        if (name != null && (name.startsWith(".") || name.startsWith("*"))) {
            throw new IllegalArgumentException("malformed permitted name '" + name + "' (write "
                    + name.replaceFirst("^[*.]+", "") + ": a permitted name covers itself and every name under it)");
        }
        checkHostSyntax(name);
    }

    static GeneralName subtreeName(String name) {
        if (name.contains("/")) {
            byte[][] range = parseRange(name);
            byte[] both = new byte[range[0].length * 2];
            System.arraycopy(range[0], 0, both, 0, range[0].length);
            System.arraycopy(range[1], 0, both, range[0].length, range[1].length);
            return new GeneralName(GeneralName.iPAddress, new org.bouncycastle.asn1.DEROctetString(both));
        }
        return new GeneralName(GeneralName.dNSName, name);
    }

    /**
     * Parses an IPv4 (dotted quad, no leading zeros) or IPv6 literal. Never resolves a name:
     * {@link InetAddress#getByName} would look up anything that is not a literal.
     */
    public static InetAddress parseIp(String ip) {
        if (ip == null || ip.isBlank()) {
            throw new IllegalArgumentException("empty IP address");
        }
        try {
            if (IPV4.matcher(ip).matches()) {
                return InetAddress.getByName(ip);
            }
            // A string holding ':' is only ever parsed as an IPv6 literal, never looked up.
            if (ip.contains(":") && IPV6_CHARS.matcher(ip).matches()) {
                return InetAddress.getByName(ip);
            }
        } catch (UnknownHostException e) {
            // fall through to the error below
        }
        throw new IllegalArgumentException("malformed IP address '" + ip + "'");
    }

    /** Returns {address, mask} with the host bits cleared. */
    static byte[][] parseRange(String cidr) {
        int slash = cidr.indexOf('/');
        byte[] address = parseIp(cidr.substring(0, slash)).getAddress();
        int bits;
        try {
            bits = Integer.parseInt(cidr.substring(slash + 1));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("malformed address range '" + cidr + "'");
        }
        if (bits < 0 || bits > address.length * 8) {
            throw new IllegalArgumentException("malformed address range '" + cidr + "' (prefix length)");
        }
        byte[] mask = new byte[address.length];
        for (int i = 0; i < bits; i++) {
            mask[i / 8] |= (byte) (0x80 >>> (i % 8));
        }
        for (int i = 0; i < address.length; i++) {
            address[i] &= mask[i];
        }
        return new byte[][] {address, mask};
    }

    /** An address as people write it: {@code 127.0.0.1}, {@code ::1} (RFC 5952 shortening). */
    public static String format(InetAddress address) {
        if (address instanceof Inet4Address) {
            return address.getHostAddress();
        }
        byte[] b = address.getAddress();
        int[] groups = new int[8];
        for (int i = 0; i < 8; i++) {
            groups[i] = ((b[2 * i] & 0xff) << 8) | (b[2 * i + 1] & 0xff);
        }
        int bestStart = -1;
        int bestLength = 1;
        for (int i = 0; i < 8; i++) {
            int j = i;
            while (j < 8 && groups[j] == 0) {
                j++;
            }
            if (j - i > bestLength) {
                bestStart = i;
                bestLength = j - i;
            }
            i = Math.max(i, j);
        }
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < 8; i++) {
            if (i == bestStart) {
                out.append("::");
                i += bestLength - 1;
                continue;
            }
            if (out.length() > 0 && out.charAt(out.length() - 1) != ':') {
                out.append(':');
            }
            out.append(Integer.toHexString(groups[i]));
        }
        return out.toString();
    }

    private static boolean inRange(byte[] address, String range) {
        byte[][] parsed = parseRange(range);
        if (parsed[0].length != address.length) {
            return false;
        }
        for (int i = 0; i < address.length; i++) {
            if ((address[i] & parsed[1][i]) != parsed[0][i]) {
                return false;
            }
        }
        return true;
    }

    private static String rangeText(byte[] both) {
        int half = both.length / 2;
        byte[] address = java.util.Arrays.copyOfRange(both, 0, half);
        byte[] mask = java.util.Arrays.copyOfRange(both, half, both.length);
        int bits = new BigInteger(1, mask).bitCount();
        try {
            return format(InetAddress.getByAddress(address)) + "/" + bits;
        } catch (UnknownHostException e) {
            return "?";
        }
    }
}
