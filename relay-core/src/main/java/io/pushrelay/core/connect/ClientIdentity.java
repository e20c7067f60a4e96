package io.pushrelay.core.connect;

import io.pushrelay.certs.CertsException;
import io.pushrelay.certs.Keys;
import io.pushrelay.certs.Pem;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.MessageDigest;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.CertificateEncodingException;
import java.security.cert.X509Certificate;
import java.util.Enumeration;
import java.util.HexFormat;
import java.util.List;
import javax.net.ssl.KeyManagerFactory;

/**
 * A client certificate the relay presents in the upstream TLS handshake (APNS certificate-based
 * auth; mutual TLS from relay-pre to relay-post), loaded once from a PKCS#12 file or from PEM
 * files. Two identities are equal when their certificates are
 * (same SHA-256 fingerprint): the upstream pool keys connections by it. Immutable.
 */
public final class ClientIdentity {
    private final Path file;
    private final X509Certificate certificate;
    private final String fingerprint;
    private final KeyManagerFactory keyManagerFactory;

    private ClientIdentity(Path file, X509Certificate certificate, String fingerprint, KeyManagerFactory kmf) {
        this.file = file;
        this.certificate = certificate;
        this.fingerprint = fingerprint;
        this.keyManagerFactory = kmf;
    }

    /**
     * Loads the first key entry of a PKCS#12 file whose store and key share {@code password}.
     *
     * @throws IllegalArgumentException naming the file when it cannot be read or holds no key
     */
    public static ClientIdentity load(Path p12, char[] password) {
        try (InputStream in = Files.newInputStream(p12)) {
            KeyStore store = KeyStore.getInstance("PKCS12");
            store.load(in, password);
            X509Certificate cert = null;
            for (Enumeration<String> aliases = store.aliases(); aliases.hasMoreElements(); ) {
                String alias = aliases.nextElement();
                if (store.isKeyEntry(alias)) {
                    Certificate c = store.getCertificate(alias);
                    if (c instanceof X509Certificate x) {
                        cert = x;
                        break;
                    }
                }
            }
            if (cert == null) {
                throw new IllegalArgumentException("client certificate " + p12 + ": no private key entry");
            }
            KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            kmf.init(store, password);
            return new ClientIdentity(p12, cert, sha256(cert), kmf);
        } catch (IOException | GeneralSecurityException e) {
            throw new IllegalArgumentException("client certificate " + p12 + ": " + e.getMessage(), e);
        }
    }

    /**
     * Loads a PEM certificate chain (leaf first) and its PEM private key (PKCS#8 or a traditional
     * key pair; not encrypted), as {@code via.client-cert} and {@code via.client-key} give them.
     *
     * @throws IllegalArgumentException naming the file when it cannot be read, or when the key
     *                                  does not belong to the first certificate
     */
    public static ClientIdentity fromPem(Path chainPem, Path keyPem) {
        List<X509Certificate> chain;
        PrivateKey key;
        try {
            chain = Pem.readCertificates(chainPem);
            key = Pem.readPrivateKey(keyPem, null);
        } catch (CertsException e) {
            throw new IllegalArgumentException("client certificate: " + e.getMessage(), e);
        }
        X509Certificate leaf = chain.get(0);
        if (!Keys.matches(leaf.getPublicKey(), key)) {
            throw new IllegalArgumentException("client certificate " + chainPem + ": " + keyPem
                    + " is not the key of its first certificate");
        }
        try {
            char[] password = new char[0];
            KeyStore store = KeyStore.getInstance("PKCS12");
            store.load(null, password);
            store.setKeyEntry("client", key, password, chain.toArray(new Certificate[0]));
            KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            kmf.init(store, password);
            return new ClientIdentity(chainPem, leaf, sha256(leaf), kmf);
        } catch (IOException | GeneralSecurityException e) {
            throw new IllegalArgumentException("client certificate " + chainPem + ": " + e.getMessage(), e);
        }
    }

    /** The file it was loaded from (PKCS#12, or the PEM chain). */
    public Path file() {
        return file;
    }

    public X509Certificate certificate() {
        return certificate;
    }

    /** Lower-case hex SHA-256 of the DER certificate. */
    public String fingerprint() {
        return fingerprint;
    }

    KeyManagerFactory keyManagerFactory() {
        return keyManagerFactory;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ClientIdentity other && other.fingerprint.equals(fingerprint);
    }

    @Override
    public int hashCode() {
        return fingerprint.hashCode();
    }

    @Override
    public String toString() {
        return "client certificate " + certificate.getSubjectX500Principal().getName()
                + " (sha256 " + fingerprint.substring(0, 16) + "...)";
    }

    private static String sha256(X509Certificate cert) throws CertificateEncodingException {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(cert.getEncoded()));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 missing from this JVM", e);
        }
    }
}
