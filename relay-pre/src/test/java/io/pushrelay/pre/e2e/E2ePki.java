package io.pushrelay.pre.e2e;

import io.pushrelay.certs.CertificateAuthority;
import io.pushrelay.certs.Leaf;
import io.pushrelay.certs.Pem;
import io.pushrelay.core.testing.TestPki;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.security.interfaces.ECPublicKey;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Date;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.X500NameBuilder;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * The PKI of an end-to-end scenario, made fresh in a folder with our {@code certs} API, laid out
 * so that a second JVM (the scenario inside a network namespace) can load it by path:
 *
 * <ul>
 *   <li>{@code relay/}: the CA the push service trusts, and relay-pre's certificate for the APNS
 *       names ({@code relay/relay.pem}, {@code relay/relay.key});</li>
 *   <li>{@code apns/}: a second CA, standing for Apple's, and the upstream's (the mock's)
 *       certificate for {@code api.push.apple.com}, trusted by the relay through
 *       {@code --upstream-ca};</li>
 *   <li>{@code apns-client/}: the CA that "Apple" trusts for certificate-based auth, and a client
 *       certificate whose subject carries {@code UID=<topic>} as Apple's do
 *       ({@code apns-client/apns-client.p12}, password in {@code apns-client/p12.password});</li>
 *   <li>{@code AuthKey.p8}: the provider's EC P-256 token-signing key (PKCS#8 PEM, as Apple
 *       hands it out).</li>
 * </ul>
 */
public final class E2ePki {
    public static final String TEAM = "TEAM123456";
    public static final String KEY_ID = "KEY1234567";
    public static final String TOPIC = "com.example.pushrelay";
    public static final String APNS_HOST = "api.push.apple.com";
    public static final String P12_PASSWORD = "changeit";

    private final Path dir;

    private E2ePki(Path dir) {
        this.dir = dir;
    }

    /** Makes every file above in {@code dir}. */
    public static E2ePki create(Path dir) {
        TestPki relay = TestPki.create(dir.resolve("relay"), "push-relay test downstream CA");
        relay.server("relay", APNS_HOST, "api.sandbox.push.apple.com", "api.development.push.apple.com");
        TestPki apns = TestPki.create(dir.resolve("apns"), "test stand-in for Apple's CA");
        apns.server("apns", APNS_HOST, "api.sandbox.push.apple.com");
        try {
            CertificateAuthority clientCa = CertificateAuthority.create(CertificateAuthority.Options.defaults()
                    .withName("test stand-in for Apple's client CA").withNameConstraints(false));
            Path clientDir = Files.createDirectories(dir.resolve("apns-client"));
            clientCa.save(clientDir, null, true);
            apnsClientLeaf(clientCa, TOPIC).save(clientDir, "apns-client", P12_PASSWORD.toCharArray(), true);
            Files.writeString(clientDir.resolve("p12.password"), P12_PASSWORD + "\n");
            // A certificate for the same topic from a CA the upstream does not trust.
            CertificateAuthority otherCa = CertificateAuthority.create(CertificateAuthority.Options.defaults()
                    .withName("a CA nobody trusts").withNameConstraints(false));
            apnsClientLeaf(otherCa, TOPIC).save(clientDir, "untrusted-client", P12_PASSWORD.toCharArray(), true);

            KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
            generator.initialize(new ECGenParameterSpec("secp256r1"));
            KeyPair signing = generator.generateKeyPair();
            Files.write(dir.resolve("AuthKey.p8"), Pem.privateKey(signing.getPrivate(), null));
            Files.writeString(dir.resolve("AuthKey.pub"),
                    Base64.getEncoder().encodeToString(signing.getPublic().getEncoded()) + "\n");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (java.security.GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
        return new E2ePki(dir);
    }

    /** The PKI {@link #create} made earlier in {@code dir}. */
    public static E2ePki open(Path dir) {
        if (!Files.isRegularFile(dir.resolve("AuthKey.p8"))) {
            throw new IllegalArgumentException("no scenario PKI in " + dir);
        }
        return new E2ePki(dir);
    }

    /**
     * An APNS-style client certificate: {@code UID=<topic>, CN=Apple Push Services: <topic>},
     * EKU clientAuth (Pushy's mock reads the topic from the UID attribute).
     */
    static Leaf apnsClientLeaf(CertificateAuthority ca, String topic) {
        try {
            KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
            generator.initialize(new ECGenParameterSpec("secp256r1"));
            KeyPair keys = generator.generateKeyPair();
            X500Name subject = new X500NameBuilder(BCStyle.INSTANCE)
                    .addRDN(BCStyle.UID, topic)
                    .addRDN(BCStyle.CN, "Apple Push Services: " + topic)
                    .addRDN(BCStyle.O, "push-relay test")
                    .build();
            Instant now = Instant.now();
            X509Certificate issuer = ca.certificate();
            JcaX509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(issuer,
                    new BigInteger(64, new SecureRandom()).abs().add(BigInteger.ONE),
                    Date.from(now.minus(Duration.ofMinutes(5))), Date.from(now.plus(Duration.ofDays(30))), subject,
                    keys.getPublic());
            builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
            builder.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature));
            builder.addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(KeyPurposeId.id_kp_clientAuth));
            PrivateKey caKey = ca.privateKey();
            String algorithm = caKey.getAlgorithm().equals("EC") ? "SHA256withECDSA" : "SHA256withRSA";
            X509Certificate cert = new JcaX509CertificateConverter()
                    .getCertificate(builder.build(new JcaContentSignerBuilder(algorithm).build(caKey)));
            return new Leaf(cert, keys.getPrivate(), issuer);
        } catch (Exception e) {
            throw new IllegalStateException("issue APNS client certificate", e);
        }
    }

    public Path dir() {
        return dir;
    }

    /** The CA the push service trusts (relay-pre's certificate chains to it). */
    public Path relayCa() {
        return dir.resolve("relay/ca.pem");
    }

    public Path relayCert() {
        return dir.resolve("relay/relay.pem");
    }

    public Path relayKey() {
        return dir.resolve("relay/relay.key");
    }

    /** The upstream's CA: relay-pre's {@code --upstream-ca}. */
    public Path apnsCa() {
        return dir.resolve("apns/ca.pem");
    }

    public Path apnsCert() {
        return dir.resolve("apns/apns.pem");
    }

    public Path apnsKey() {
        return dir.resolve("apns/apns.key");
    }

    /** The CA the upstream trusts for client certificates. */
    public Path apnsClientCa() {
        return dir.resolve("apns-client/ca.pem");
    }

    /** relay-pre's {@code --apns-client-cert}. */
    public Path apnsClientP12() {
        return dir.resolve("apns-client/apns-client.p12");
    }

    /** The same topic, signed by a CA the upstream does not trust. */
    public Path untrustedClientP12() {
        return dir.resolve("apns-client/untrusted-client.p12");
    }

    /** relay-pre's {@code --apns-client-cert-password-file}. */
    public Path apnsClientPasswordFile() {
        return dir.resolve("apns-client/p12.password");
    }

    public Path signingKeyFile() {
        return dir.resolve("AuthKey.p8");
    }

    /** The signing key's public half, for the upstream's token check. */
    public ECPublicKey verificationKey() {
        try {
            byte[] der = Base64.getDecoder().decode(Files.readString(dir.resolve("AuthKey.pub"),
                    StandardCharsets.US_ASCII).trim());
            return (ECPublicKey) java.security.KeyFactory.getInstance("EC")
                    .generatePublic(new java.security.spec.X509EncodedKeySpec(der));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (java.security.GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }
}
