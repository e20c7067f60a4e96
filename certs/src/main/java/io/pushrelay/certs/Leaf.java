package io.pushrelay.certs;

import java.io.ByteArrayOutputStream;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.util.List;

/** An issued certificate with its private key and the CA certificate that signed it. */
public record Leaf(X509Certificate certificate, PrivateKey privateKey, X509Certificate issuer) {

    /** Leaf first, then the CA: what a TLS server sends. */
    public List<X509Certificate> chain() {
        return List.of(certificate, issuer);
    }

    public byte[] chainPem() {
        return Pem.certificates(chain());
    }

    public byte[] keyPem() {
        return Pem.privateKey(privateKey, null);
    }

    /** PKCS#12 holding the key and the chain, under the alias {@code alias}. */
    public byte[] pkcs12(String alias, char[] password) {
        try {
            KeyStore store = KeyStore.getInstance("PKCS12");
            store.load(null, null);
            store.setKeyEntry(alias, privateKey, password, chain().toArray(Certificate[]::new));
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            store.store(out, password);
            return out.toByteArray();
        } catch (Exception e) {
            throw new CertsException("encode PKCS#12", e.getMessage(), e);
        }
    }

    /**
     * Writes {@code DIR/BASE.pem} (leaf then CA) and {@code DIR/BASE.key} (0600), and
     * {@code DIR/BASE.p12} (0600) when {@code p12Password} is not null; all or nothing.
     */
    public List<Path> save(Path dir, String base, char[] p12Password, boolean force) {
        FileSet files = new FileSet()
                .add(dir.resolve(base + ".pem"), chainPem())
                .addSecret(dir.resolve(base + ".key"), keyPem());
        if (p12Password != null) {
            files.addSecret(dir.resolve(base + ".p12"), pkcs12(base, p12Password));
        }
        return files.write(force);
    }
}
