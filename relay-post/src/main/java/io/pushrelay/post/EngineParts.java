package io.pushrelay.post;

import io.pushrelay.core.config.EndpointUrl;
import io.pushrelay.core.config.ProxySettings;
import io.pushrelay.core.config.SniCertificate;
import io.pushrelay.core.config.TlsSettings;
import io.pushrelay.core.connect.ProxyConfig;
import io.pushrelay.core.listener.TlsConfig;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/** Turns config records into the engine's pieces. */
final class EngineParts {
    private EngineParts() {
    }

    /** The listener's certificates, and the client CA when mutual TLS is asked for. */
    static TlsConfig tls(TlsSettings settings, Path clientCa) {
        TlsConfig tls = TlsConfig.of(settings.cert(), settings.key());
        for (SniCertificate sni : settings.sni()) {
            tls = tls.withSni(sni.host(), sni.cert(), sni.key());
        }
        return clientCa == null ? tls : tls.withClientCa(clientCa);
    }

    static Optional<ProxyConfig> proxy(ProxySettings settings) {
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

    /** The first line of a secret file, without its line end. */
    static String firstLine(Path file, String key) {
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
