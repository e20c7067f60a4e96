package io.pushrelay.certs.cli;

import io.pushrelay.certs.CertificateAuthority;
import io.pushrelay.certs.KeyType;
import io.pushrelay.certs.Pem;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/** Fresh PKI for tests, made with our own command line and API; and TLS contexts from its files. */
final class TestPki {
    private TestPki() {
    }

    /** {@code certs ca create --dir ROOT/NAME ...}; returns the CA folder. */
    static Path ca(Path root, String name, String... extra) {
        Path dir = root.resolve(name);
        String[] args = new String[4 + extra.length];
        args[0] = "ca";
        args[1] = "create";
        args[2] = "--dir";
        args[3] = dir.toString();
        System.arraycopy(extra, 0, args, 4, extra.length);
        Cli.ok(args);
        return dir;
    }

    /** {@code certs server create} for hosts; returns OUT/server.pem (the key is OUT/server.key). */
    static Path server(Path ca, Path out, String... hosts) {
        String[] args = new String[7 + hosts.length];
        String[] head = {"server", "create", "--ca", ca.toString(), "--out", out.toString(), "--host"};
        System.arraycopy(head, 0, args, 0, head.length);
        System.arraycopy(hosts, 0, args, head.length, hosts.length);
        Cli.ok(args);
        return out.resolve("server.pem");
    }

    static Path keyOf(Path pem) {
        String name = pem.getFileName().toString();
        return pem.resolveSibling(name.substring(0, name.length() - ".pem".length()) + ".key");
    }

    /**
     * A server certificate for {@code host} signed by the CA's key outside the tool, ignoring the
     * CA's name constraints: what a stolen CA key could make. Writes OUT/forged.pem (leaf, CA)
     * and OUT/forged.key.
     */
    static Path forge(Path caDir, Path out, String host) throws Exception {
        CertificateAuthority ca = CertificateAuthority.load(caDir, null);
        KeyPair keys = KeyType.EC_P256.generate();
        Instant now = Instant.now();
        JcaX509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(ca.certificate(),
                BigInteger.valueOf(now.toEpochMilli()), Date.from(now.minus(Duration.ofMinutes(5))),
                Date.from(now.plus(Duration.ofDays(30))), new X500Name("O=push-relay,CN=" + host), keys.getPublic());
        builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
        builder.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature));
        builder.addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(KeyPurposeId.id_kp_serverAuth));
        builder.addExtension(Extension.subjectAlternativeName, false,
                new GeneralNames(new GeneralName(GeneralName.dNSName, host)));
        X509Certificate leaf = new JcaX509CertificateConverter().getCertificate(
                builder.build(new JcaContentSignerBuilder("SHA256withECDSA").build(ca.privateKey())));
        Files.createDirectories(out);
        Path pem = out.resolve("forged.pem");
        Files.write(pem, Pem.certificates(List.of(leaf, ca.certificate())));
        Files.write(out.resolve("forged.key"), Pem.privateKey(keys.getPrivate(), null));
        return pem;
    }

    /** A TLS context presenting {@code chainPem} (with its .key) when given, trusting {@code caPem} when given. */
    static SSLContext context(Path chainPem, Path caPem) throws Exception {
        KeyManagerFactory keys = null;
        if (chainPem != null) {
            KeyStore store = KeyStore.getInstance("PKCS12");
            store.load(null, null);
            List<X509Certificate> chain = Pem.readCertificates(chainPem);
            store.setKeyEntry("key", Pem.readPrivateKey(keyOf(chainPem), null), new char[0],
                    chain.toArray(Certificate[]::new));
            keys = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            keys.init(store, new char[0]);
        }
        TrustManagerFactory trust = null;
        if (caPem != null) {
            trust = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            trust.init(trustStore(caPem));
        }
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(keys == null ? null : keys.getKeyManagers(), trust == null ? null : trust.getTrustManagers(), null);
        return context;
    }

    /** A truststore holding only the CA of {@code caPem}. */
    static KeyStore trustStore(Path caPem) throws Exception {
        KeyStore store = KeyStore.getInstance("PKCS12");
        store.load(null, null);
        store.setCertificateEntry("push-relay-ca", Pem.readCertificates(caPem).get(0));
        return store;
    }
}
