package io.pushrelay.certs;

import java.security.GeneralSecurityException;
import java.security.cert.CertPathValidator;
import java.security.cert.CertPathValidatorException;
import java.security.cert.CertificateFactory;
import java.security.cert.CertificateParsingException;
import java.security.cert.PKIXParameters;
import java.security.cert.PKIXReason;
import java.security.cert.TrustAnchor;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import org.bouncycastle.asn1.ASN1OctetString;
import org.bouncycastle.asn1.DERIA5String;
import org.bouncycastle.asn1.DEROctetString;
import org.bouncycastle.asn1.x500.RDN;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x500.style.IETFUtils;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralSubtree;
import org.bouncycastle.asn1.x509.NameConstraintValidatorException;
import org.bouncycastle.asn1.x509.NameConstraints;
import org.bouncycastle.asn1.x509.PKIXNameConstraintValidator;

/**
 * Checks a certificate chain against one CA certificate, the way a TLS client would: the
 * JDK's PKIX validator (revocation off), then the CA's own name constraints, then optionally
 * the host name (RFC 6125: SAN dNSName or iPAddress, a wildcard covering one left-most label;
 * the CN is never used).
 *
 * <p>The name-constraint step exists because the JDK's PKIX validator does not apply the name
 * constraints of a trust anchor (RFC 5280 6.1.1 leaves that optional), while OpenSSL and Go
 * do. Without it a certificate for any name signed by the CA key would pass here and fail
 * everywhere else. Stateless; failures are {@link CertsException}s whose cause reads as a reason.
 */
public final class Verifier {
    private static final String SERVER_AUTH = "1.3.6.1.5.5.7.3.1";
    private static final String ANY_EKU = "2.5.29.37.0";

    private Verifier() {
    }

    /** What was verified: the leaf, and the SAN the host matched (or null without a host). */
    public record Result(X509Certificate leaf, String matchedName) {
    }

    /**
     * Verifies {@code chain} (leaf first; a copy of the CA in it is ignored) against {@code ca} at
     * {@code at}; when {@code host} is not null the leaf must be a TLS server certificate for it.
     */
    public static Result verify(X509Certificate ca, List<X509Certificate> chain, String host, Instant at) {
        if (chain.isEmpty()) {
            throw new CertsException("verify", "no certificate given");
        }
        X509Certificate leaf = chain.get(0);
        String what = "verify " + leaf.getSubjectX500Principal();
        List<X509Certificate> path = new ArrayList<>();
        for (X509Certificate cert : chain) {
            if (!cert.equals(ca)) {
                path.add(cert);
            }
        }
        if (path.isEmpty()) {
            throw new CertsException(what, "this is the CA certificate itself, not one it issued");
        }
        checkCaValidity(ca, at, what);
        validate(ca, path, at, what);
        checkNameConstraints(ca, path, what);
        String matched = host == null ? null : checkHost(leaf, host, what);
        return new Result(leaf, matched);
    }

    private static void checkCaValidity(X509Certificate ca, Instant at, String what) {
        if (at.isAfter(ca.getNotAfter().toInstant())) {
            throw new CertsException(what, "the CA certificate expired on " + day(ca.getNotAfter().toInstant()));
        }
        if (at.isBefore(ca.getNotBefore().toInstant())) {
            throw new CertsException(what, "the CA certificate is not valid before " + ca.getNotBefore().toInstant());
        }
    }

    private static void validate(X509Certificate ca, List<X509Certificate> path, Instant at, String what) {
        try {
            PKIXParameters parameters = new PKIXParameters(Set.of(new TrustAnchor(ca, null)));
            parameters.setRevocationEnabled(false);
            parameters.setDate(Date.from(at));
            CertPathValidator.getInstance("PKIX").validate(
                    CertificateFactory.getInstance("X.509").generateCertPath(path), parameters);
        } catch (CertPathValidatorException e) {
            throw new CertsException(what, reason(e, ca, path, at), e);
        } catch (GeneralSecurityException e) {
            throw new CertsException(what, String.valueOf(e.getMessage()), e);
        }
    }

    private static String reason(CertPathValidatorException e, X509Certificate ca, List<X509Certificate> path,
                                 Instant at) {
        int index = Math.max(e.getIndex(), 0);
        X509Certificate cert = index < path.size() ? path.get(index) : path.get(0);
        String who = index == 0 ? "certificate" : "chain certificate " + cert.getSubjectX500Principal();
        if (e.getReason() == CertPathValidatorException.BasicReason.EXPIRED) {
            return who + " expired on " + day(cert.getNotAfter().toInstant());
        }
        if (e.getReason() == CertPathValidatorException.BasicReason.NOT_YET_VALID) {
            return who + " is not valid before " + cert.getNotBefore().toInstant();
        }
        if (e.getReason() == PKIXReason.NO_TRUST_ANCHOR) {
            X509Certificate top = path.get(path.size() - 1);
            return "not issued by this CA (issuer " + top.getIssuerX500Principal() + ", CA "
                    + ca.getSubjectX500Principal() + ")";
        }
        if (e.getReason() == CertPathValidatorException.BasicReason.INVALID_SIGNATURE) {
            return "signature does not verify with the CA's key (issued by another CA of the same name?)";
        }
        if (e.getReason() == PKIXReason.INVALID_NAME) {
            return who + " violates name constraints (" + e.getMessage() + ")";
        }
        return String.valueOf(e.getMessage());
    }

    private static void checkNameConstraints(X509Certificate ca, List<X509Certificate> path, String what) {
        byte[] ext = ca.getExtensionValue(org.bouncycastle.asn1.x509.Extension.nameConstraints.getId());
        if (ext == null) {
            return;
        }
        NameConstraints constraints = NameConstraints.getInstance(ASN1OctetString.getInstance(ext).getOctets());
        PKIXNameConstraintValidator validator = new PKIXNameConstraintValidator();
        if (constraints.getPermittedSubtrees() != null) {
            validator.intersectPermittedSubtree(constraints.getPermittedSubtrees());
        }
        if (constraints.getExcludedSubtrees() != null) {
            for (GeneralSubtree subtree : constraints.getExcludedSubtrees()) {
                validator.addExcludedSubtree(subtree);
            }
        }
        String permitted = NameRules.of(ca).permitted().map(l -> String.join(", ", l)).orElse("");
        for (X509Certificate cert : path) {
            boolean hasDns = false;
            for (GeneralName name : CertificateText.generalNames(cert)) {
                hasDns |= name.getTagNo() == GeneralName.dNSName;
                try {
                    validator.checkPermitted(name);
                    validator.checkExcluded(name);
                } catch (NameConstraintValidatorException e) {
                    throw new CertsException(what, CertificateText.name(name) + " is outside the CA's name constraints (permitted: "
                            + permitted + ")");
                }
            }
            X500Name subject = X500Name.getInstance(cert.getSubjectX500Principal().getEncoded());
            try {
                validator.checkPermittedDN(subject);
                validator.checkExcludedDN(subject);
            } catch (NameConstraintValidatorException e) {
                throw new CertsException(what, "subject " + cert.getSubjectX500Principal()
                        + " is outside the CA's name constraints");
            }
            // OpenSSL also checks a host-like CN when there is no DNS SAN (x509_vfy.c); do the same.
            String cn = commonName(subject);
            if (!hasDns && cn != null && looksLikeHost(cn)) {
                GeneralName asDns = new GeneralName(GeneralName.dNSName, new DERIA5String(cn));
                try {
                    validator.checkPermitted(asDns);
                    validator.checkExcluded(asDns);
                } catch (NameConstraintValidatorException e) {
                    throw new CertsException(what, "CN " + cn + " (read as a host name by OpenSSL, as there is no"
                            + " DNS SAN) is outside the CA's name constraints (permitted: " + permitted + ")");
                }
            }
        }
    }

    private static String checkHost(X509Certificate leaf, String host, String what) {
        try {
            List<String> eku = leaf.getExtendedKeyUsage();
            if (eku != null && !eku.contains(SERVER_AUTH) && !eku.contains(ANY_EKU)) {
                throw new CertsException(what, "not a TLS server certificate (extended key usage lacks serverAuth)");
            }
        } catch (CertificateParsingException e) {
            throw new CertsException(what, "unreadable extended key usage", e);
        }
        List<String> names = CertificateText.subjectAltNames(leaf);
        byte[] address = null;
        try {
            address = NameRules.parseIp(host).getAddress();
        } catch (IllegalArgumentException notAnAddress) {
            // a host name
        }
        for (GeneralName name : CertificateText.generalNames(leaf)) {
            if (address != null && name.getTagNo() == GeneralName.iPAddress
                    && java.util.Arrays.equals(address, DEROctetString.getInstance(name.getName()).getOctets())) {
                return CertificateText.name(name);
            }
            if (address == null && name.getTagNo() == GeneralName.dNSName
                    && hostMatches(DERIA5String.getInstance(name.getName()).getString(), host)) {
                return CertificateText.name(name);
            }
        }
        throw new CertsException(what, "host " + host + " does not match the certificate (names: "
                + (names.isEmpty() ? "none" : String.join(", ", names)) + ")");
    }

    /** RFC 6125 6.4: exact (case-insensitive), or {@code *.example.com} covering exactly one label. */
    static boolean hostMatches(String pattern, String host) {
        String p = pattern.toLowerCase(Locale.ROOT);
        String h = host.toLowerCase(Locale.ROOT);
        if (h.endsWith(".")) {
            h = h.substring(0, h.length() - 1);
        }
        if (!p.startsWith("*.")) {
            return p.equals(h);
        }
        int dot = h.indexOf('.');
        return dot > 0 && h.substring(dot).equals(p.substring(1)) && !h.startsWith("*");
    }

    private static String commonName(X500Name subject) {
        RDN[] rdns = subject.getRDNs(BCStyle.CN);
        if (rdns.length == 0) {
            return null;
        }
        return IETFUtils.valueToString(rdns[rdns.length - 1].getFirst().getValue());
    }

    /** Like OpenSSL's cn2dnsid: letters, digits, '-', '_' and at least one inner '.'. */
    private static boolean looksLikeHost(String cn) {
        if (!cn.contains(".") || cn.startsWith(".") || cn.endsWith(".") || cn.contains("..")) {
            return false;
        }
        for (char c : cn.toCharArray()) {
            if (!(Character.isLetterOrDigit(c) && c < 128) && c != '-' && c != '_' && c != '.' && c != '*') {
                return false;
            }
        }
        return true;
    }

    /** Whole days from {@code at} until {@code end}; negative once past. */
    public static long daysLeft(Instant end, Instant at) {
        return Math.floorDiv(Duration.between(at, end).toSeconds(), 86_400L);
    }

    static String day(Instant instant) {
        return LocalDate.ofInstant(instant, ZoneOffset.UTC).toString();
    }
}
