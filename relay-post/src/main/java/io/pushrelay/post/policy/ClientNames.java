package io.pushrelay.post.policy;

import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import javax.naming.InvalidNameException;
import javax.naming.ldap.LdapName;
import javax.naming.ldap.Rdn;

/**
 * The names a client certificate gives its holder, as {@code allow-clients} matches them: every
 * dNSName SAN, the NAME of every URI SAN {@code urn:push-relay:client:NAME} (what
 * {@code push-relay certs client create --name NAME} issues for a one-label name), and the
 * subject's CN. Lower-cased (DNS names are case-insensitive; our certificate tool lower-cases
 * what it issues).
 */
public final class ClientNames {
    /** The URI SAN prefix our certificate tool uses for one-label client names. */
    public static final String URN_PREFIX = "urn:push-relay:client:";

    private static final int DNS_NAME = 2;
    private static final int URI = 6;

    private ClientNames() {
    }

    /** Every name {@code certificate} carries, in the order above, each once; empty for null. */
    public static List<String> of(X509Certificate certificate) {
        Set<String> names = new LinkedHashSet<>(4);
        if (certificate == null) {
            return List.of();
        }
        try {
            Collection<List<?>> sans = certificate.getSubjectAlternativeNames();
            if (sans != null) {
                for (List<?> san : sans) {
                    if (san.size() < 2 || !(san.get(0) instanceof Integer type) || !(san.get(1) instanceof String value)) {
                        continue;
                    }
                    if (type == DNS_NAME) {
                        names.add(value.toLowerCase(Locale.ROOT));
                    } else if (type == URI && value.regionMatches(true, 0, URN_PREFIX, 0, URN_PREFIX.length())
                            && value.length() > URN_PREFIX.length()) {
                        names.add(value.substring(URN_PREFIX.length()).toLowerCase(Locale.ROOT));
                    }
                }
            }
        } catch (CertificateParsingException e) {
            // A SAN extension that does not parse names nobody; the CN may still.
        }
        String cn = commonName(certificate);
        if (cn != null) {
            names.add(cn.toLowerCase(Locale.ROOT));
        }
        return List.copyOf(names);
    }

    /** The subject's (last) CN, or null. */
    static String commonName(X509Certificate certificate) {
        try {
            LdapName dn = new LdapName(certificate.getSubjectX500Principal().getName());
            String cn = null;
            for (Rdn rdn : dn.getRdns()) {
                if ("CN".equalsIgnoreCase(rdn.getType()) && rdn.getValue() instanceof String value) {
                    cn = value;
                }
            }
            return cn;
        } catch (InvalidNameException e) {
            return null;
        }
    }
}
