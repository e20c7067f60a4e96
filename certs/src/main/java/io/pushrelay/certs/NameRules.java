package io.pushrelay.certs;

import java.math.BigInteger;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Pattern;
import org.bouncycastle.asn1.ASN1OctetString;
import org.bouncycastle.asn1.DERIA5String;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralSubtree;
import org.bouncycastle.asn1.x509.NameConstraints;

/**
 * Name syntax and the name constraints of a CA: which DNS subtrees and address ranges it may
 * sign for (RFC 5280 4.2.1.10: a DNS subtree matches the name and every name under it).
 */
final class NameRules {
    private static final Pattern LABEL = Pattern.compile("[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?");
    private static final Pattern CLIENT_NAME = Pattern.compile("[A-Za-z0-9]([A-Za-z0-9._-]{0,62})");

    private final List<String> dns;
    private final List<String> ranges;
    private final boolean constrained;

    private NameRules(List<String> dns, List<String> ranges, boolean constrained) {
        this.dns = dns;
        this.ranges = ranges;
        this.constrained = constrained;
    }

    static NameRules of(X509Certificate ca) {
        byte[] ext = ca.getExtensionValue(org.bouncycastle.asn1.x509.Extension.nameConstraints.getId());
        if (ext == null) {
            return new NameRules(List.of(), List.of(), false);
        }
        NameConstraints constraints = NameConstraints.getInstance(ASN1OctetString.getInstance(ext).getOctets());
        List<String> dns = new ArrayList<>();
        List<String> ranges = new ArrayList<>();
        GeneralSubtree[] permitted = constraints.getPermittedSubtrees();
        if (permitted != null) {
            for (GeneralSubtree subtree : permitted) {
                GeneralName base = subtree.getBase();
                if (base.getTagNo() == GeneralName.dNSName) {
                    dns.add(DERIA5String.getInstance(base.getName()).getString().toLowerCase(Locale.ROOT));
                } else if (base.getTagNo() == GeneralName.iPAddress) {
                    ranges.add(rangeText(ASN1OctetString.getInstance(base.getName()).getOctets()));
                }
            }
        }
        return new NameRules(List.copyOf(dns), List.copyOf(ranges), true);
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
            for (String range : ranges) {
                if (inRange(address, range)) {
                    return;
                }
            }
            throw new CertsException("check " + name,
                    "address outside the CA's name constraints (permitted ranges: " + String.join(", ", ranges) + ")");
        }
        String host = name.toLowerCase(Locale.ROOT);
        if (host.startsWith("*.")) {
            host = host.substring(2);
        }
        for (String subtree : dns) {
            String bare = subtree.startsWith(".") ? subtree.substring(1) : subtree;
            if (host.equals(bare) || host.endsWith("." + bare)) {
                return;
            }
        }
        throw new CertsException("check " + name,
                "name outside the CA's name constraints (permitted: " + String.join(", ", dns)
                        + "; create the CA with --permit " + name + ")");
    }

    static void checkHostSyntax(String host) {
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
        for (String label : h.split("\\.", -1)) {
            if (!LABEL.matcher(label).matches()) {
                throw new IllegalArgumentException("malformed host name '" + host + "' (bad label '" + label + "')");
            }
        }
    }

    static void checkClientName(String name) {
        if (!CLIENT_NAME.matcher(name).matches()) {
            throw new IllegalArgumentException("malformed client name '" + name
                    + "' (letters, digits, '.', '-', '_'; at most 63)");
        }
        if (name.contains(".")) {
            checkHostSyntax(name);
        }
    }

    /** A --permit value: a DNS name, or an address range like {@code 10.0.0.0/8}. */
    static void checkPermitSyntax(String name) {
        if (name != null && name.contains("/")) {
            parseRange(name);
            return;
        }
        if (name != null && name.startsWith(".")) {
            checkHostSyntax(name.substring(1));
            return;
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

    static InetAddress parseIp(String ip) {
        if (ip == null || ip.isBlank() || !ip.matches("[0-9a-fA-F:.]+") || !(ip.contains(".") || ip.contains(":"))) {
            throw new IllegalArgumentException("malformed IP address '" + ip + "'");
        }
        try {
            return InetAddress.getByName(ip);
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException("malformed IP address '" + ip + "'");
        }
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
            return InetAddress.getByAddress(address).getHostAddress() + "/" + bits;
        } catch (UnknownHostException e) {
            return "?";
        }
    }
}
