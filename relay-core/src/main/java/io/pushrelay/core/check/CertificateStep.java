package io.pushrelay.core.check;

import io.netty.util.NetUtil;
import io.pushrelay.certs.CertsException;
import io.pushrelay.certs.Keys;
import io.pushrelay.certs.Pem;
import io.pushrelay.core.config.PostConfig;
import io.pushrelay.core.config.PreConfig;
import io.pushrelay.core.config.RoleConfig;
import io.pushrelay.core.config.SniCertificate;
import io.pushrelay.core.config.TlsSettings;
import java.net.InetAddress;
import java.nio.file.Path;
import java.security.PrivateKey;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The {@code certificate} step, per certificate the listener shows (the default one, then each
 * {@code tls.sni} entry): the key belongs to the certificate; the certificate covers every name
 * the listener picks it for (a name goes to the first SNI entry that matches it, else to the
 * default, as the listener does); days to expiry of the whole chain.
 */
final class CertificateStep {
    /** Fewer days left than this: still passes, with a warning. */
    static final int WARN_DAYS = 30;

    private CertificateStep() {
    }

    /** One certificate the listener may show. */
    private record Entry(String key, Path cert, Path keyFile, SniCertificate sni) {
    }

    static void run(RoleConfig config, List<String> names, Set<String> badFiles, Instant now, CheckReport report) {
        TlsSettings tls = config.tls();
        if (tls == null) {
            String why = config instanceof PreConfig ? "passthrough: the push service sees APNS's own certificate"
                    : config instanceof PostConfig ? "plaintext: true" : "the listener does not terminate TLS";
            report.skip(RoleCheck.CERTIFICATE, "certificate: none needed (" + why + ")");
            return;
        }
        List<Entry> entries = new ArrayList<>();
        entries.add(new Entry("tls", tls.cert(), tls.key(), null));
        for (int i = 0; i < tls.sni().size(); i++) {
            SniCertificate sni = tls.sni().get(i);
            entries.add(new Entry("tls.sni[" + i + "]", sni.cert(), sni.key(), sni));
        }
        Map<Entry, List<String>> assigned = new LinkedHashMap<>();
        for (Entry e : entries) {
            assigned.put(e, new ArrayList<>());
        }
        for (String name : names) {
            Entry picked = entries.get(0);
            for (Entry e : entries) {
                if (e.sni() != null && e.sni().matches(name)) {
                    picked = e;
                    break;
                }
            }
            assigned.get(picked).add(name.toLowerCase(Locale.ROOT));
        }
        for (Entry e : entries) {
            check(config, e, assigned.get(e), badFiles, now, report);
        }
    }

    private static void check(RoleConfig config, Entry e, List<String> names, Set<String> badFiles, Instant now,
                              CheckReport report) {
        String label = "certificate " + e.cert();
        if (badFiles.contains(e.key() + ".cert") || badFiles.contains(e.key() + ".key")) {
            report.skip(RoleCheck.CERTIFICATE, label + ": skipped (" + e.key() + " file problem above)");
            return;
        }
        List<X509Certificate> chain;
        try {
            chain = Pem.readCertificates(e.cert());
        } catch (CertsException ex) {
            report.fail(RoleCheck.CERTIFICATE, label + ": " + ex.getMessage(),
                    "give " + e.key() + ".cert a PEM certificate chain, leaf first (push-relay certs inspect " + e.cert() + ")");
            return;
        }
        X509Certificate leaf = chain.get(0);
        List<String> dns = dnsNames(leaf);
        List<String> ips = ipAddresses(leaf);
        String reissue = reissue(e.cert(), union(dns, names), ips);

        try {
            PrivateKey key = Pem.readPrivateKey(e.keyFile(), null);
            if (Keys.matches(leaf.getPublicKey(), key)) {
                report.pass(RoleCheck.CERTIFICATE, label + " matches key " + e.keyFile());
            } else {
                report.fail(RoleCheck.CERTIFICATE, label + " and key " + e.keyFile()
                        + " do not match (the key belongs to another certificate)",
                        "give " + e.key() + ".key the key made with this certificate, or issue both again: " + reissue);
            }
        } catch (CertsException ex) {
            String encrypted = ex.getMessage().contains("encrypted")
                    ? " (the relay reads unencrypted keys only: openssl pkcs8 -topk8 -nocrypt -in KEY -out KEY.plain)" : "";
            report.fail(RoleCheck.CERTIFICATE, "key " + e.keyFile() + ": " + ex.getMessage(),
                    "give " + e.key() + ".key the PEM private key (PKCS#8) of " + e.cert() + encrypted);
        }

        if (!names.isEmpty()) {
            List<String> missing = new ArrayList<>();
            for (String name : names) {
                if (dns.stream().noneMatch(pattern -> hostMatches(pattern, name))) {
                    missing.add(name);
                }
            }
            if (missing.isEmpty()) {
                report.pass(RoleCheck.CERTIFICATE, label + " covers " + String.join(", ", names));
            } else {
                List<String> shown = new ArrayList<>(dns);
                shown.addAll(ips);
                report.fail(RoleCheck.CERTIFICATE, label + ": does not cover " + String.join(", ", missing)
                        + " (SANs: " + (shown.isEmpty() ? "none" : String.join(", ", shown)) + ")", reissue);
            }
        }

        expiry(config, label, chain, reissue, now, report);
    }

    private static void expiry(RoleConfig config, String label, List<X509Certificate> chain, String reissue,
                               Instant now, CheckReport report) {
        X509Certificate first = chain.get(0);
        for (X509Certificate c : chain) {
            if (c.getNotAfter().before(first.getNotAfter())) {
                first = c;
            }
        }
        String which = first == chain.get(0) ? "" : " (chain certificate " + first.getSubjectX500Principal().getName() + ")";
        String reload = "; then systemctl reload " + RoleCheck.unit(config) + " (SIGHUP reloads certificates)";
        for (X509Certificate c : chain) {
            if (now.isBefore(c.getNotBefore().toInstant())) {
                report.fail(RoleCheck.CERTIFICATE, label + ": not valid before " + c.getNotBefore().toInstant()
                        + (c == chain.get(0) ? "" : " (chain certificate " + c.getSubjectX500Principal().getName() + ")"),
                        "check this host's clock (timedatectl), or issue it again: " + reissue);
                return;
            }
        }
        Instant end = first.getNotAfter().toInstant();
        long days = Math.floorDiv(Duration.between(now, end).toSeconds(), 86_400L);
        String date = LocalDate.ofInstant(end, ZoneOffset.UTC).toString();
        if (now.isAfter(end)) {
            report.fail(RoleCheck.CERTIFICATE, label + ": expired on " + date + which, reissue + reload);
        } else if (days < WARN_DAYS) {
            report.warn(RoleCheck.CERTIFICATE, label + " valid until " + date + which + " (" + days
                    + (days == 1 ? " day" : " days") + ")", "renew soon: " + reissue + reload);
        } else {
            report.pass(RoleCheck.CERTIFICATE, label + " valid until " + date + which + " (" + days + " days)");
        }
    }

    /** The {@code certs server create} line that makes this certificate again for {@code hosts}. */
    static String reissue(Path cert, Collection<String> hosts, Collection<String> ips) {
        Path dir = cert.toAbsolutePath().getParent();
        String file = cert.getFileName().toString();
        String base = file.endsWith(".pem") ? file.substring(0, file.length() - 4) : file;
        StringBuilder s = new StringBuilder("push-relay certs server create --ca CA_DIR --out ")
                .append(dir).append(" --name ").append(base);
        for (String h : hosts) {
            s.append(" --host ").append(h);
        }
        for (String ip : ips) {
            s.append(" --ip ").append(ip);
        }
        return s.append(" --force").toString();
    }

    private static List<String> union(List<String> a, List<String> b) {
        Set<String> all = new LinkedHashSet<>(a);
        all.addAll(b);
        return new ArrayList<>(all);
    }

    static List<String> dnsNames(X509Certificate cert) {
        return sans(cert, 2);
    }

    static List<String> ipAddresses(X509Certificate cert) {
        List<String> out = new ArrayList<>();
        for (String ip : sans(cert, 7)) {
            byte[] bytes = NetUtil.createByteArrayFromIpAddressString(ip);
            try {
                out.add(bytes == null ? ip : NetUtil.toAddressString(InetAddress.getByAddress(bytes)));
            } catch (java.net.UnknownHostException e) {
                out.add(ip);
            }
        }
        return out;
    }

    private static List<String> sans(X509Certificate cert, int type) {
        List<String> out = new ArrayList<>();
        try {
            Collection<List<?>> all = cert.getSubjectAlternativeNames();
            if (all == null) {
                return out;
            }
            for (List<?> san : all) {
                if (san.size() >= 2 && san.get(0) instanceof Integer t && t == type && san.get(1) instanceof String v) {
                    out.add(v.toLowerCase(Locale.ROOT));
                }
            }
        } catch (CertificateParsingException e) {
            return out;
        }
        return out;
    }

    /** RFC 6125 6.4: exact (case-insensitive), or {@code *.example.com} covering exactly one label. */
    static boolean hostMatches(String pattern, String host) {
        String p = pattern.toLowerCase(Locale.ROOT);
        String h = host.toLowerCase(Locale.ROOT);
        if (!p.startsWith("*.")) {
            return p.equals(h);
        }
        int dot = h.indexOf('.');
        return dot > 0 && h.substring(dot).equals(p.substring(1));
    }
}
