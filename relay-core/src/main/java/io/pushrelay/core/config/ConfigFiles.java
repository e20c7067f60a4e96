package io.pushrelay.core.config;

import java.nio.file.Path;
import java.util.List;

/** Collects the files the records name, for {@link RoleConfig#files()}. */
final class ConfigFiles {
    private ConfigFiles() {
    }

    static void add(List<ConfigFile> out, String key, Path path, boolean secret) {
        if (path != null) {
            out.add(new ConfigFile(key, path, secret));
        }
    }

    static void tls(List<ConfigFile> out, String key, TlsSettings tls) {
        if (tls == null) {
            return;
        }
        add(out, key + ".cert", tls.cert(), false);
        add(out, key + ".key", tls.key(), true);
        for (int i = 0; i < tls.sni().size(); i++) {
            add(out, key + ".sni[" + i + "].cert", tls.sni().get(i).cert(), false);
            add(out, key + ".sni[" + i + "].key", tls.sni().get(i).key(), true);
        }
    }

    static void proxy(List<ConfigFile> out, ProxySettings proxy) {
        if (proxy != null) {
            add(out, "proxy.password-file", proxy.passwordFile(), true);
            add(out, "proxy.ca", proxy.ca(), false);
        }
    }

    static void upstream(List<ConfigFile> out, UpstreamSettings upstream) {
        add(out, "upstream.ca", upstream.ca(), false);
        add(out, "upstream.apns-client-cert", upstream.apnsClientCert(), true);
        add(out, "upstream.apns-client-cert-password-file", upstream.apnsClientCertPasswordFile(), true);
    }
}
