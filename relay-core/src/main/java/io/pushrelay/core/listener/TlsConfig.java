package io.pushrelay.core.listener;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;

/**
 * The TLS side of a listener: the certificate shown when the ClientHello names no known
 * host, one certificate per host name (SNI; {@code *.example.com} wildcards allowed), and
 * optionally the CA whose client certificates the listener requires (mutual TLS).
 *
 * @param defaultCertificate the certificate for unknown or absent server names
 * @param sniCertificates    host name (lower case) to certificate
 * @param clientCa           PEM file of the CA that signs accepted client certificates; null: none asked for
 */
public record TlsConfig(CertificateFiles defaultCertificate, Map<String, CertificateFiles> sniCertificates,
                        Path clientCa) {
    public TlsConfig {
        Objects.requireNonNull(defaultCertificate, "defaultCertificate");
        Map<String, CertificateFiles> lower = new LinkedHashMap<>();
        if (sniCertificates != null) {
            sniCertificates.forEach((host, files) -> {
                if (host == null || host.isBlank()) {
                    throw new IllegalArgumentException("tls: empty SNI host name");
                }
                lower.put(host.trim().toLowerCase(Locale.ROOT), Objects.requireNonNull(files, host));
            });
        }
        sniCertificates = Map.copyOf(lower);
    }

    /** One certificate for every name, no client certificate. */
    public static TlsConfig of(Path chainPem, Path keyPem) {
        return new TlsConfig(new CertificateFiles(chainPem, keyPem), Map.of(), null);
    }

    /** This configuration plus a certificate for {@code host}. */
    public TlsConfig withSni(String host, Path chainPem, Path keyPem) {
        Map<String, CertificateFiles> more = new LinkedHashMap<>(sniCertificates);
        more.put(host, new CertificateFiles(chainPem, keyPem));
        return new TlsConfig(defaultCertificate, more, clientCa);
    }

    /** This configuration, requiring client certificates signed by the CA in {@code caPem}. */
    public TlsConfig withClientCa(Path caPem) {
        return new TlsConfig(defaultCertificate, sniCertificates, caPem);
    }

    public boolean requiresClientCertificate() {
        return clientCa != null;
    }

    /**
     * A certificate chain and its private key, both PEM (the key unencrypted PKCS#8).
     *
     * @param chain the leaf first, then intermediates
     * @param key   the leaf's private key
     */
    public record CertificateFiles(Path chain, Path key) {
        public CertificateFiles {
            Objects.requireNonNull(chain, "chain");
            Objects.requireNonNull(key, "key");
        }
    }
}
