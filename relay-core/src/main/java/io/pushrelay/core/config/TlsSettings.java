package io.pushrelay.core.config;

import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * What a TLS listener shows: a default certificate, plus certificates picked by SNI.
 *
 * @param cert PEM certificate chain, leaf first: the certificate shown when no {@code sni} entry matches
 * @param key  PEM private key (PKCS#8) of {@code cert}
 * @param sni  extra certificates by SNI name, first match wins; empty when absent
 */
public record TlsSettings(Path cert, Path key, List<SniCertificate> sni) {
    public TlsSettings {
        InvalidValueException.required("cert", cert, "the PEM certificate chain the listener shows");
        InvalidValueException.required("key", key, "the PEM private key of tls.cert");
        sni = sni == null ? List.of() : List.copyOf(sni);
        Set<String> seen = new HashSet<>();
        for (int i = 0; i < sni.size(); i++) {
            if (!seen.add(sni.get(i).host())) {
                throw new InvalidValueException("sni[" + i + "].host", "'" + sni.get(i).host() + "' is listed twice");
            }
        }
    }
}
