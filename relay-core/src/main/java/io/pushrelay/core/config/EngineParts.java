package io.pushrelay.core.config;

import io.pushrelay.core.connect.ConnectorConfig;
import io.pushrelay.core.connect.ProxyConfig;
import io.pushrelay.core.listener.TlsConfig;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.Set;

/**
 * Turns config records into the engine's pieces, for the roles and for {@code check}. Secret files
 * are read here, at the moment the piece is built (start and reload), never kept in the records.
 */
public final class EngineParts {
    private EngineParts() {
    }

    /** The listener's certificates, and the client CA ({@code null}: none) when mutual TLS is asked for. */
    public static TlsConfig tls(TlsSettings settings, Path clientCa) {
        TlsConfig tls = TlsConfig.of(settings.cert(), settings.key());
        for (SniCertificate sni : settings.sni()) {
            tls = tls.withSni(sni.host(), sni.cert(), sni.key());
        }
        return clientCa == null ? tls : tls.withClientCa(clientCa);
    }

    /** The proxy to connect through; empty without {@code proxy} settings. */
    public static Optional<ProxyConfig> proxy(ProxySettings settings) {
        if (settings == null) {
            return Optional.empty();
        }
        EndpointUrl url = settings.url();
        Optional<String> password = Optional.ofNullable(url.password());
        if (settings.passwordFile() != null) {
            password = Optional.of(firstLine(settings.passwordFile(), "proxy.password-file"));
        }
        return Optional.of(new ProxyConfig(url.tls(), url.address().host(), url.address().port(),
                Optional.ofNullable(url.user()), password, Optional.ofNullable(settings.ca())));
    }

    /**
     * How a role connects upstream: directly or through {@code proxy}, with the {@code upstream}
     * connect timeout and extra CA, never to {@code avoid} (the role's own listener addresses).
     */
    public static ConnectorConfig connector(RoleConfig config, Set<InetSocketAddress> avoid) {
        UpstreamSettings up = config.upstream();
        ConnectorConfig cc = ConnectorConfig.direct()
                .withConnectTimeout(up.connectTimeout())
                .withAvoid(avoid);
        Optional<ProxyConfig> proxy = proxy(config.proxy());
        if (proxy.isPresent()) {
            cc = cc.withProxy(proxy.get());
        }
        if (up.ca() != null) {
            cc = cc.withUpstreamCa(up.ca());
        }
        return cc;
    }

    /**
     * The first line of a secret file, without its line end.
     *
     * @throws IllegalArgumentException naming {@code key} and the file when it cannot be read or is empty
     */
    public static String firstLine(Path file, String key) {
        try {
            String text = Files.readString(file, StandardCharsets.UTF_8);
            int nl = text.indexOf('\n');
            String line = (nl < 0 ? text : text.substring(0, nl)).replace("\r", "");
            if (line.isEmpty()) {
                throw new IllegalArgumentException(key + " " + file + ": empty");
            }
            return line;
        } catch (IOException e) {
            throw new IllegalArgumentException(key + " " + file + ": cannot read (" + e.getClass().getSimpleName()
                    + (e.getMessage() == null ? "" : ": " + e.getMessage()) + ")");
        }
    }
}
