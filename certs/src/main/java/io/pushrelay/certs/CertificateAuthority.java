package io.pushrelay.certs;

import java.io.IOException;
import java.math.BigInteger;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import org.bouncycastle.asn1.DEROctetString;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.X500NameBuilder;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.GeneralSubtree;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.asn1.x509.NameConstraints;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.ContentSigner;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * A private certificate authority: creates itself, saves and loads {@code ca.pem} and
 * {@code ca.key}, and issues server and client certificates.
 *
 * <p>By default the CA carries a critical NameConstraints extension that permits only the
 * push gateways' names (and the loopback addresses), so that trusting it does not let it
 * vouch for any other site. Every name is checked against those constraints before a
 * certificate is signed. Plain Java (BouncyCastle), no Netty: tests and relays make fresh
 * PKI with it. Instances are immutable and thread-safe.
 */
public final class CertificateAuthority {
    /** The push gateways' names; the default permitted DNS subtrees. */
    public static final List<String> PUSH_GATEWAY_NAMES = List.of(
            "api.push.apple.com",
            "api.sandbox.push.apple.com",
            "api.development.push.apple.com",
            "fcm.googleapis.com",
            "oauth2.googleapis.com");

    /** Loopback addresses, permitted so that a relay may also be reached by address on a test host. */
    public static final List<String> LOOPBACK_RANGES = List.of("127.0.0.0/8", "::1/128");

    public static final int DEFAULT_CA_DAYS = 3650;
    /**
     * Leaf validity: 397 days is the CA/Browser Forum limit (Baseline Requirements 6.3.2) that
     * Apple's and Google's TLS clients enforce for server certificates; staying within it means
     * no client rejects our certificates for living too long.
     */
    public static final int DEFAULT_LEAF_DAYS = 397;

    private static final SecureRandom RANDOM = new SecureRandom();
    /** Backdating absorbs clock skew between the CA host and the hosts that verify. */
    private static final Duration BACKDATE = Duration.ofMinutes(5);

    private final X509Certificate certificate;
    private final PrivateKey privateKey;
    private final NameRules rules;

    private CertificateAuthority(X509Certificate certificate, PrivateKey privateKey) {
        this.certificate = certificate;
        this.privateKey = privateKey;
        this.rules = NameRules.of(certificate);
    }

    /** What a new CA looks like. {@code permit} is added to the default names. */
    public record Options(String commonName, KeyType keyType, int days, List<String> permit,
                          boolean nameConstraints) {
        public Options {
            if (commonName == null || commonName.isBlank()) {
                throw new IllegalArgumentException("CA name (--name) is empty");
            }
            if (commonName.length() > 64) {
                throw new IllegalArgumentException("CA name (--name) is longer than 64 characters (RFC 5280 ub-common-name)");
            }
            if (keyType == null) {
                keyType = KeyType.EC_P256;
            }
            if (days < 1) {
                throw new IllegalArgumentException("--days must be at least 1, got " + days);
            }
            permit = permit == null ? List.of() : List.copyOf(permit);
            for (String name : permit) {
                NameRules.checkPermitSyntax(name);
            }
            if (!nameConstraints && !permit.isEmpty()) {
                throw new IllegalArgumentException("--permit has no meaning with --no-name-constraints");
            }
        }

        public static Options defaults() {
            return new Options("push-relay CA", KeyType.EC_P256, DEFAULT_CA_DAYS, List.of(), true);
        }

        public Options withName(String name) {
            return new Options(name, keyType, days, permit, nameConstraints);
        }

        public Options withKeyType(KeyType type) {
            return new Options(commonName, type, days, permit, nameConstraints);
        }

        public Options withDays(int d) {
            return new Options(commonName, keyType, d, permit, nameConstraints);
        }

        public Options withPermit(List<String> names) {
            return new Options(commonName, keyType, days, names, nameConstraints);
        }

        public Options withNameConstraints(boolean on) {
            return new Options(commonName, keyType, days, permit, on);
        }
    }

    /** What a leaf looks like: a server needs hosts or addresses, a client a name. */
    public record LeafOptions(String commonName, List<String> hosts, List<String> ips, KeyType keyType, int days) {
        public LeafOptions {
            hosts = hosts == null ? List.of() : List.copyOf(hosts);
            ips = ips == null ? List.of() : List.copyOf(ips);
            if (keyType == null) {
                keyType = KeyType.EC_P256;
            }
            if (days < 1) {
                throw new IllegalArgumentException("--days must be at least 1, got " + days);
            }
            for (String host : hosts) {
                NameRules.checkHostSyntax(host);
            }
            for (String ip : ips) {
                NameRules.parseIp(ip);
            }
        }

        public static LeafOptions server(String... hosts) {
            return new LeafOptions(null, List.of(hosts), List.of(), KeyType.EC_P256, DEFAULT_LEAF_DAYS);
        }

        public static LeafOptions client(String name) {
            return new LeafOptions(name, List.of(), List.of(), KeyType.EC_P256, DEFAULT_LEAF_DAYS);
        }

        public LeafOptions withIps(String... addresses) {
            return new LeafOptions(commonName, hosts, List.of(addresses), keyType, days);
        }

        public LeafOptions withDays(int d) {
            return new LeafOptions(commonName, hosts, ips, keyType, d);
        }

        public LeafOptions withKeyType(KeyType type) {
            return new LeafOptions(commonName, hosts, ips, type, days);
        }
    }

    public static CertificateAuthority create(Options options) {
        KeyPair keys = options.keyType().generate();
        X500Name subject = new X500NameBuilder(BCStyle.INSTANCE)
                .addRDN(BCStyle.O, "push-relay")
                .addRDN(BCStyle.CN, options.commonName())
                .build();
        Instant now = Instant.now();
        try {
            JcaX509ExtensionUtils utils = new JcaX509ExtensionUtils();
            X509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(subject, serial(),
                    Date.from(now.minus(BACKDATE)), Date.from(now.plus(Duration.ofDays(options.days()))),
                    subject, keys.getPublic());
            // pathlen 0: this CA signs leaves only, never another CA (RFC 5280 4.2.1.9).
            builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(0));
            builder.addExtension(Extension.keyUsage, true,
                    new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign | KeyUsage.digitalSignature));
            builder.addExtension(Extension.subjectKeyIdentifier, false,
                    utils.createSubjectKeyIdentifier(keys.getPublic()));
            if (options.nameConstraints()) {
                Set<String> names = new LinkedHashSet<>(PUSH_GATEWAY_NAMES);
                names.addAll(LOOPBACK_RANGES);
                for (String name : options.permit()) {
                    names.add(name.toLowerCase(Locale.ROOT));
                }
                List<GeneralSubtree> subtrees = new ArrayList<>();
                for (String name : names) {
                    subtrees.add(new GeneralSubtree(NameRules.subtreeName(name)));
                }
                // Critical, as RFC 5280 4.2.1.10 requires: a verifier that cannot enforce it must refuse.
                builder.addExtension(Extension.nameConstraints, true,
                        new NameConstraints(subtrees.toArray(GeneralSubtree[]::new), null));
            }
            X509Certificate cert = sign(builder, keys.getPrivate());
            return new CertificateAuthority(cert, keys.getPrivate());
        } catch (IOException | CertificateException | OperatorCreationException
                 | java.security.NoSuchAlgorithmException e) {
            throw new CertsException("create CA", e.getMessage(), e);
        }
    }

    /** Loads {@code DIR/ca.pem} and {@code DIR/ca.key}; {@code passphrase} may be null for a plain key. */
    public static CertificateAuthority load(Path dir, char[] passphrase) {
        Path certFile = dir.resolve("ca.pem");
        Path keyFile = dir.resolve("ca.key");
        X509Certificate cert = Pem.readCertificates(certFile).get(0);
        PrivateKey key = Pem.readPrivateKey(keyFile, passphrase);
        if (!Keys.matches(cert.getPublicKey(), key)) {
            throw new CertsException("load CA " + dir, "ca.key does not belong to ca.pem");
        }
        if (cert.getBasicConstraints() < 0) {
            throw new CertsException("load CA " + dir, "ca.pem is not a CA certificate");
        }
        return new CertificateAuthority(cert, key);
    }

    /** Writes {@code DIR/ca.pem} and {@code DIR/ca.key} (0600, encrypted when a passphrase is given). */
    public List<Path> save(Path dir, char[] passphrase, boolean force) {
        return new FileSet()
                .add(dir.resolve("ca.pem"), Pem.certificates(List.of(certificate)))
                .addSecret(dir.resolve("ca.key"), Pem.privateKey(privateKey, passphrase))
                .write(force);
    }

    public X509Certificate certificate() {
        return certificate;
    }

    public PrivateKey privateKey() {
        return privateKey;
    }

    /** The permitted names and ranges of this CA, or empty when it is not name-constrained. */
    public Optional<List<String>> permittedNames() {
        return rules.permitted();
    }

    /** Issues a certificate for a TLS server: SANs from hosts and addresses, EKU serverAuth. */
    public Leaf issueServer(LeafOptions options) {
        if (options.hosts().isEmpty() && options.ips().isEmpty()) {
            throw new CertsException("issue server certificate", "no --host or --ip given");
        }
        List<GeneralName> sans = new ArrayList<>();
        for (String host : options.hosts()) {
            rules.check(host, false);
            sans.add(new GeneralName(GeneralName.dNSName, host.toLowerCase(Locale.ROOT)));
        }
        for (String ip : options.ips()) {
            rules.check(ip, true);
            sans.add(new GeneralName(GeneralName.iPAddress, new DEROctetString(NameRules.parseIp(ip).getAddress())));
        }
        // Without a DNS SAN, OpenSSL checks a CN that looks like a host name against the DNS
        // constraints (x509_vfy.c check_name_constraints), and "127.0.0.1" looks like one; so an
        // address-only certificate gets a CN that no verifier reads as a name.
        String cn = options.commonName() != null ? options.commonName()
                : !options.hosts().isEmpty() ? options.hosts().get(0)
                : "push-relay server (" + options.ips().get(0) + ")";
        return issue(cn, sans, options, KeyPurposeId.id_kp_serverAuth);
    }

    /**
     * Issues a certificate for TLS client authentication: CN and a SAN naming the client, EKU
     * clientAuth. A name shaped like a DNS name is a dNSName SAN and must lie inside the CA's
     * constraints (add it with {@code --permit} when creating the CA); a single-label name
     * ({@code relay-pre}) is a URI SAN {@code urn:push-relay:client:NAME}, which DNS
     * constraints do not govern, so it verifies under any name-constrained CA.
     */
    public Leaf issueClient(LeafOptions options) {
        String name = options.commonName();
        if (name == null || name.isBlank()) {
            throw new CertsException("issue client certificate", "no --name given");
        }
        NameRules.checkClientName(name);
        List<GeneralName> sans = new ArrayList<>();
        if (name.contains(".")) {
            rules.check(name, false);
            sans.add(new GeneralName(GeneralName.dNSName, name.toLowerCase(Locale.ROOT)));
        } else {
            sans.add(new GeneralName(GeneralName.uniformResourceIdentifier, "urn:push-relay:client:" + name));
        }
        for (String host : options.hosts()) {
            rules.check(host, false);
            sans.add(new GeneralName(GeneralName.dNSName, host.toLowerCase(Locale.ROOT)));
        }
        return issue(name, sans, options, KeyPurposeId.id_kp_clientAuth);
    }

    private Leaf issue(String commonName, List<GeneralName> sans, LeafOptions options, KeyPurposeId purpose) {
        KeyPair keys = options.keyType().generate();
        X500Name subject = new X500NameBuilder(BCStyle.INSTANCE)
                .addRDN(BCStyle.O, "push-relay")
                .addRDN(BCStyle.CN, commonName)
                .build();
        Instant now = Instant.now();
        Instant notAfter = now.plus(Duration.ofDays(options.days()));
        if (notAfter.isAfter(certificate.getNotAfter().toInstant())) {
            notAfter = certificate.getNotAfter().toInstant();
        }
        try {
            JcaX509ExtensionUtils utils = new JcaX509ExtensionUtils();
            X509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(certificate, serial(),
                    Date.from(now.minus(BACKDATE)), Date.from(notAfter), subject, keys.getPublic());
            builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
            int usage = KeyUsage.digitalSignature;
            if (KeyType.of(keys.getPublic()).name().startsWith("RSA")) {
                usage |= KeyUsage.keyEncipherment;
            }
            builder.addExtension(Extension.keyUsage, true, new KeyUsage(usage));
            builder.addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(purpose));
            builder.addExtension(Extension.subjectAlternativeName, false,
                    new GeneralNames(sans.toArray(GeneralName[]::new)));
            builder.addExtension(Extension.subjectKeyIdentifier, false,
                    utils.createSubjectKeyIdentifier(keys.getPublic()));
            builder.addExtension(Extension.authorityKeyIdentifier, false,
                    utils.createAuthorityKeyIdentifier(certificate));
            return new Leaf(sign(builder, privateKey), keys.getPrivate(), certificate);
        } catch (IOException | CertificateException | OperatorCreationException
                 | java.security.NoSuchAlgorithmException e) {
            throw new CertsException("issue certificate for " + commonName, e.getMessage(), e);
        }
    }

    private static X509Certificate sign(X509v3CertificateBuilder builder, PrivateKey key)
            throws OperatorCreationException, CertificateException {
        ContentSigner signer = new JcaContentSignerBuilder(signatureAlgorithm(key)).build(key);
        return new JcaX509CertificateConverter().getCertificate(builder.build(signer));
    }

    private static String signatureAlgorithm(PrivateKey key) {
        if (key instanceof java.security.interfaces.RSAPrivateKey rsa) {
            return rsa.getModulus().bitLength() >= 4096 ? "SHA384withRSA" : "SHA256withRSA";
        }
        if (key instanceof java.security.interfaces.ECPrivateKey ec) {
            return ec.getParams().getCurve().getField().getFieldSize() > 256 ? "SHA384withECDSA" : "SHA256withECDSA";
        }
        throw new CertsException("sign", "unsupported key algorithm " + key.getAlgorithm());
    }

    /** 128 random bits, positive and non-zero (RFC 5280 4.1.2.2; CA/B BR 7.1: at least 64 bits of entropy). */
    private static BigInteger serial() {
        BigInteger serial;
        do {
            serial = new BigInteger(128, RANDOM);
        } while (serial.signum() == 0);
        return serial;
    }

}
