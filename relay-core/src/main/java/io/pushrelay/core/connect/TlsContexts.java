package io.pushrelay.core.connect;

import io.netty.handler.codec.http2.Http2SecurityUtil;
import io.netty.handler.ssl.ApplicationProtocolConfig;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SupportedCipherSuiteFilter;
import io.pushrelay.core.transport.Transports;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import javax.net.ssl.SSLException;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509TrustManager;

/** Client TLS contexts for the connector: TLS 1.2/1.3 only, system trust plus an optional extra CA. */
final class TlsContexts {
    static final String[] PROTOCOLS = {"TLSv1.3", "TLSv1.2"};

    private TlsContexts() {
    }

    /** Upstream: ALPN offering only {@code protocol}, host name verification, optional client certificate. */
    static SslContext upstream(Optional<Path> extraCa, Optional<ClientIdentity> identity, UpstreamProtocol protocol) {
        SslContextBuilder builder = base(extraCa)
                .ciphers(Http2SecurityUtil.CIPHERS, SupportedCipherSuiteFilter.INSTANCE)
                // NO_ADVERTISE/ACCEPT: the handshake completes whatever the server picks, and the
                // connector then fails it clearly when that is not acceptable.
                .applicationProtocolConfig(new ApplicationProtocolConfig(ApplicationProtocolConfig.Protocol.ALPN,
                        ApplicationProtocolConfig.SelectorFailureBehavior.NO_ADVERTISE,
                        ApplicationProtocolConfig.SelectedListenerFailureBehavior.ACCEPT,
                        protocol.alpnId()));
        identity.ifPresent(id -> builder.keyManager(id.keyManagerFactory()));
        return build(builder, "upstream");
    }

    /** The TLS connection to an {@code https://} proxy. */
    static SslContext proxy(Optional<Path> proxyCa) {
        return build(base(proxyCa), "proxy");
    }

    private static SslContextBuilder base(Optional<Path> extraCa) {
        return SslContextBuilder.forClient()
                .sslProvider(Transports.sslProvider())
                .protocols(PROTOCOLS)
                .endpointIdentificationAlgorithm("HTTPS")
                .trustManager(trust(extraCa));
    }

    private static SslContext build(SslContextBuilder builder, String what) {
        try {
            return builder.build();
        } catch (SSLException e) {
            throw new IllegalArgumentException(what + " TLS: " + e.getMessage(), e);
        }
    }

    /** The JDK default trust store, plus every certificate in {@code extraCa} when given. */
    static TrustManagerFactory trust(Optional<Path> extraCa) {
        try {
            TrustManagerFactory system = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            system.init((KeyStore) null);
            if (extraCa.isEmpty()) {
                return system;
            }
            KeyStore store = KeyStore.getInstance(KeyStore.getDefaultType());
            store.load(null, null);
            int n = 0;
            for (TrustManager tm : system.getTrustManagers()) {
                if (tm instanceof X509TrustManager x509) {
                    for (X509Certificate issuer : x509.getAcceptedIssuers()) {
                        store.setCertificateEntry("system-" + n++, issuer);
                    }
                }
            }
            List<X509Certificate> extra = readCertificates(extraCa.get());
            for (int i = 0; i < extra.size(); i++) {
                store.setCertificateEntry("extra-" + i, extra.get(i));
            }
            TrustManagerFactory combined = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            combined.init(store);
            return combined;
        } catch (GeneralSecurityException | IOException e) {
            throw new IllegalArgumentException("trust store" + extraCa.map(p -> " with " + p).orElse("") + ": "
                    + e.getMessage(), e);
        }
    }

    static List<X509Certificate> readCertificates(Path pem) throws IOException, GeneralSecurityException {
        try (InputStream in = Files.newInputStream(pem)) {
            Collection<? extends Certificate> certs = CertificateFactory.getInstance("X.509").generateCertificates(in);
            List<X509Certificate> out = new ArrayList<>();
            for (Certificate c : certs) {
                out.add((X509Certificate) c);
            }
            if (out.isEmpty()) {
                throw new IllegalArgumentException("no certificate in " + pem);
            }
            return out;
        }
    }
}
