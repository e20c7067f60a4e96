package io.pushrelay.certs;

import java.math.BigInteger;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.security.Key;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.cert.CertificateEncodingException;
import java.security.cert.X509Certificate;
import java.security.interfaces.ECKey;
import java.security.interfaces.RSAKey;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import org.bouncycastle.asn1.ASN1OctetString;
import org.bouncycastle.asn1.DERIA5String;
import org.bouncycastle.asn1.DEROctetString;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.GeneralSubtree;
import org.bouncycastle.asn1.x509.NameConstraints;

/** Certificate fields as people read them (OpenSSL's words where it has some). Stateless. */
public final class CertificateText {
    private static final Map<String, String> EKU = Map.of(
            "1.3.6.1.5.5.7.3.1", "serverAuth",
            "1.3.6.1.5.5.7.3.2", "clientAuth",
            "1.3.6.1.5.5.7.3.3", "codeSigning",
            "1.3.6.1.5.5.7.3.4", "emailProtection",
            "1.3.6.1.5.5.7.3.8", "timeStamping",
            "1.3.6.1.5.5.7.3.9", "OCSPSigning",
            "2.5.29.37.0", "anyExtendedKeyUsage");
    private static final String[] KEY_USAGE = {"digitalSignature", "nonRepudiation", "keyEncipherment",
        "dataEncipherment", "keyAgreement", "keyCertSign", "cRLSign", "encipherOnly", "decipherOnly"};

    private CertificateText() {
    }

    /** The SANs as {@code DNS:name}, {@code IP:addr}, {@code URI:uri}, {@code email:x}. */
    public static List<String> subjectAltNames(X509Certificate cert) {
        List<String> out = new ArrayList<>();
        for (GeneralName name : generalNames(cert)) {
            out.add(name(name));
        }
        return out;
    }

    static List<GeneralName> generalNames(X509Certificate cert) {
        byte[] ext = cert.getExtensionValue(Extension.subjectAlternativeName.getId());
        if (ext == null) {
            return List.of();
        }
        return List.of(GeneralNames.getInstance(ASN1OctetString.getInstance(ext).getOctets()).getNames());
    }

    /** One name: {@code DNS:a.b}, {@code IP:::1}; an iPAddress subtree (address and mask) as {@code IP:10.0.0.0/8}. */
    public static String name(GeneralName name) {
        return switch (name.getTagNo()) {
            case GeneralName.dNSName -> "DNS:" + DERIA5String.getInstance(name.getName()).getString();
            case GeneralName.uniformResourceIdentifier -> "URI:" + DERIA5String.getInstance(name.getName()).getString();
            case GeneralName.rfc822Name -> "email:" + DERIA5String.getInstance(name.getName()).getString();
            case GeneralName.iPAddress -> "IP:" + ipText(DEROctetString.getInstance(name.getName()).getOctets());
            case GeneralName.directoryName -> "DirName:" + X500Name.getInstance(name.getName());
            default -> "othername:<unsupported>";
        };
    }

    private static String ipText(byte[] octets) {
        try {
            if (octets.length == 4 || octets.length == 16) {
                return NameRules.format(InetAddress.getByAddress(octets));
            }
            if (octets.length == 8 || octets.length == 32) {
                int half = octets.length / 2;
                byte[] address = java.util.Arrays.copyOfRange(octets, 0, half);
                byte[] mask = java.util.Arrays.copyOfRange(octets, half, octets.length);
                return NameRules.format(InetAddress.getByAddress(address)) + "/" + new BigInteger(1, mask).bitCount();
            }
        } catch (UnknownHostException e) {
            // fall through to hex
        }
        return HexFormat.of().formatHex(octets);
    }

    /** Permitted and excluded subtrees, or empty when the certificate has no NameConstraints. */
    public static Optional<String> nameConstraints(X509Certificate cert) {
        byte[] ext = cert.getExtensionValue(Extension.nameConstraints.getId());
        if (ext == null) {
            return Optional.empty();
        }
        NameConstraints constraints = NameConstraints.getInstance(ASN1OctetString.getInstance(ext).getOctets());
        StringBuilder out = new StringBuilder();
        if (constraints.getPermittedSubtrees() != null) {
            out.append("permitted ").append(subtrees(constraints.getPermittedSubtrees()));
        }
        if (constraints.getExcludedSubtrees() != null) {
            out.append(out.length() > 0 ? "; " : "").append("excluded ")
                    .append(subtrees(constraints.getExcludedSubtrees()));
        }
        return Optional.of(out + critical(cert, Extension.nameConstraints.getId()));
    }

    private static String subtrees(GeneralSubtree[] subtrees) {
        List<String> names = new ArrayList<>();
        for (GeneralSubtree subtree : subtrees) {
            names.add(name(subtree.getBase()));
        }
        return String.join(", ", names);
    }

    public static String basicConstraints(X509Certificate cert) {
        if (cert.getExtensionValue(Extension.basicConstraints.getId()) == null) {
            return "none";
        }
        int pathLength = cert.getBasicConstraints();
        String text = pathLength < 0 ? "not a CA"
                : pathLength == Integer.MAX_VALUE ? "CA, no path length limit"
                : "CA, path length " + pathLength;
        return text + critical(cert, Extension.basicConstraints.getId());
    }

    public static String keyUsage(X509Certificate cert) {
        boolean[] bits = cert.getKeyUsage();
        if (bits == null) {
            return "none";
        }
        List<String> names = new ArrayList<>();
        for (int i = 0; i < bits.length && i < KEY_USAGE.length; i++) {
            if (bits[i]) {
                names.add(KEY_USAGE[i]);
            }
        }
        return String.join(", ", names) + critical(cert, Extension.keyUsage.getId());
    }

    public static String extendedKeyUsage(X509Certificate cert) {
        try {
            List<String> oids = cert.getExtendedKeyUsage();
            if (oids == null) {
                return "none";
            }
            List<String> names = new ArrayList<>();
            for (String oid : oids) {
                names.add(EKU.getOrDefault(oid, oid));
            }
            return String.join(", ", names) + critical(cert, Extension.extendedKeyUsage.getId());
        } catch (java.security.cert.CertificateParsingException e) {
            return "unreadable (" + e.getMessage() + ")";
        }
    }

    /** SHA-256 of the DER encoding, as {@code AB:CD:...} like {@code openssl x509 -fingerprint -sha256}. */
    public static String fingerprint(X509Certificate cert) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(cert.getEncoded());
            return HexFormat.ofDelimiter(":").withUpperCase().formatHex(digest);
        } catch (NoSuchAlgorithmException | CertificateEncodingException e) {
            throw new CertsException("fingerprint", String.valueOf(e.getMessage()), e);
        }
    }

    /** A key's type and size: {@code EC P-256}, {@code RSA 2048}, {@code Ed25519}. */
    public static String describeKey(Key key) {
        if (key instanceof RSAKey rsa) {
            return "RSA " + rsa.getModulus().bitLength();
        }
        if (key instanceof ECKey ec) {
            return "EC P-" + ec.getParams().getCurve().getField().getFieldSize();
        }
        return key.getAlgorithm();
    }

    public static String serial(X509Certificate cert) {
        return cert.getSerialNumber().toString(16).toLowerCase(Locale.ROOT);
    }

    private static String critical(X509Certificate cert, String oid) {
        return cert.getCriticalExtensionOIDs() != null && cert.getCriticalExtensionOIDs().contains(oid)
                ? " (critical)" : "";
    }
}
