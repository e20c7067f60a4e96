package io.pushrelay.core.config;

import java.nio.file.Path;
import java.util.Locale;

/**
 * An extra certificate a TLS listener shows when the downstream asks for {@code host} by SNI.
 *
 * @param host a DNS name, or {@code *.example.com} for one level of subdomains
 * @param cert PEM certificate chain, leaf first
 * @param key  PEM private key (PKCS#8)
 */
public record SniCertificate(String host, Path cert, Path key) {
    public SniCertificate {
        InvalidValueException.required("host", host, "the SNI name this certificate is for");
        host = host.strip().toLowerCase(Locale.ROOT);
        String name = host.startsWith("*.") ? host.substring(2) : host;
        if (!IpLiterals.isHostName(name)) {
            throw new InvalidValueException("host", "'" + host + "' is not a host name (or *.domain)");
        }
        InvalidValueException.required("cert", cert, "the PEM certificate chain for " + host);
        InvalidValueException.required("key", key, "the PEM private key for " + host);
    }

    /** Whether a downstream asking for {@code sniName} gets this certificate. */
    public boolean matches(String sniName) {
        String name = sniName.toLowerCase(Locale.ROOT);
        if (!host.startsWith("*.")) {
            return host.equals(name);
        }
        String suffix = host.substring(1);
        return name.endsWith(suffix) && name.indexOf('.') == name.length() - suffix.length();
    }
}
