package io.pushrelay.core.check;

import io.pushrelay.certs.CertsException;
import io.pushrelay.certs.Pem;
import io.pushrelay.core.config.PreConfig;
import io.pushrelay.core.config.SniCertificate;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.cert.X509Certificate;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The {@code trust} step (relay-pre): the CA behind each certificate the listener shows is in
 * this host's system trust bundle, as it must be on the push service's host for the push service
 * to accept the relay as {@code api.push.apple.com}. Trusted when the bundle holds a CA
 * certificate of the chain itself, or a certificate whose key signed the chain's last one.
 */
final class TrustStep {
    private TrustStep() {
    }

    static void run(PreConfig config, List<Path> bundles, Set<String> badFiles, CheckReport report) {
        if (config.tls() == null) {
            report.skip(RoleCheck.TRUST, "trust: not needed (passthrough: the push service sees APNS's own certificate)");
            return;
        }
        Map<String, Path> certs = new LinkedHashMap<>();
        certs.put("tls", config.tls().cert());
        for (int i = 0; i < config.tls().sni().size(); i++) {
            SniCertificate sni = config.tls().sni().get(i);
            certs.put("tls.sni[" + i + "]", sni.cert());
        }
        Path bundle = bundles.stream().filter(Files::isRegularFile).findFirst().orElse(null);
        if (bundle == null) {
            report.fail(RoleCheck.TRUST, "trust: no system trust bundle here (" + String.join(", ",
                    bundles.stream().map(Path::toString).toList()) + ")",
                    "install the ca-certificates package (apt-get install ca-certificates, or dnf install ca-certificates)");
            return;
        }
        List<X509Certificate> trusted;
        try {
            trusted = Pem.readCertificates(bundle);
        } catch (CertsException e) {
            report.fail(RoleCheck.TRUST, "trust: " + e.getMessage(),
                    "rebuild the system trust bundle: update-ca-certificates --fresh (Debian) or update-ca-trust extract (RHEL)");
            return;
        }
        for (Map.Entry<String, Path> e : certs.entrySet()) {
            if (badFiles.contains(e.getKey() + ".cert")) {
                report.skip(RoleCheck.TRUST, "trust " + e.getValue() + ": skipped (" + e.getKey() + ".cert file problem above)");
                continue;
            }
            List<X509Certificate> chain;
            try {
                chain = Pem.readCertificates(e.getValue());
            } catch (CertsException ex) {
                report.skip(RoleCheck.TRUST, "trust " + e.getValue() + ": skipped (unreadable, see certificate above)");
                continue;
            }
            X509Certificate anchor = anchor(chain, trusted);
            X509Certificate last = chain.get(chain.size() - 1);
            String ca = isSelfSigned(last) ? last.getSubjectX500Principal().getName() : last.getIssuerX500Principal().getName();
            if (anchor != null) {
                report.pass(RoleCheck.TRUST, "trust CA " + anchor.getSubjectX500Principal().getName() + " of "
                        + e.getValue() + " is in the system trust store " + bundle);
            } else {
                report.fail(RoleCheck.TRUST, "trust CA " + ca + " of " + e.getValue() + " is not in the system trust store "
                        + bundle + " (the push service would refuse the relay's certificate)",
                        "push-relay certs trust --ca CA_DIR/ca.pem --install (on the push service's host, and here)");
            }
        }
    }

    /** The bundle certificate that makes {@code chain} trusted, or null. */
    static X509Certificate anchor(List<X509Certificate> chain, List<X509Certificate> trusted) {
        for (X509Certificate c : chain) {
            if (c.getBasicConstraints() >= 0 && trusted.contains(c)) {
                return c;
            }
        }
        X509Certificate last = chain.get(chain.size() - 1);
        for (X509Certificate t : trusted) {
            if (t.getSubjectX500Principal().equals(last.getIssuerX500Principal()) && signed(last, t)) {
                return t;
            }
        }
        return null;
    }

    private static boolean signed(X509Certificate cert, X509Certificate by) {
        try {
            cert.verify(by.getPublicKey());
            return true;
        } catch (GeneralSecurityException | RuntimeException e) {
            return false;
        }
    }

    private static boolean isSelfSigned(X509Certificate c) {
        return c.getSubjectX500Principal().equals(c.getIssuerX500Principal()) && signed(c, c);
    }
}
