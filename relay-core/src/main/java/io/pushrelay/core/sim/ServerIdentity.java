package io.pushrelay.core.sim;

import io.pushrelay.certs.Pem;
import java.nio.file.Path;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.List;

/**
 * The certificate chain (leaf first) and private key a simulator presents in its TLS handshake.
 *
 * @param chain leaf first, then intermediates; not empty
 * @param key   the leaf's private key
 */
public record ServerIdentity(List<X509Certificate> chain, PrivateKey key) {
    public ServerIdentity {
        chain = List.copyOf(chain);
        if (chain.isEmpty()) {
            throw new IllegalArgumentException("server identity: empty certificate chain");
        }
        if (key == null) {
            throw new IllegalArgumentException("server identity: no private key");
        }
    }

    /**
     * Reads a PEM chain and an unencrypted PKCS#8 (or traditional) PEM key.
     *
     * @throws io.pushrelay.certs.CertsException naming the file when one cannot be read
     */
    public static ServerIdentity fromPem(Path chain, Path key) {
        return new ServerIdentity(Pem.readCertificates(chain), Pem.readPrivateKey(key, null));
    }
}
