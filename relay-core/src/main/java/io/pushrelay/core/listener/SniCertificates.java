package io.pushrelay.core.listener;

import io.netty.handler.codec.http2.Http2SecurityUtil;
import io.netty.handler.ssl.ApplicationProtocolConfig;
import io.netty.handler.ssl.ApplicationProtocolNames;
import io.netty.handler.ssl.ClientAuth;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SupportedCipherSuiteFilter;
import io.netty.util.DomainWildcardMappingBuilder;
import io.netty.util.Mapping;
import io.pushrelay.core.transport.Transports;
import java.util.HashMap;
import java.util.Map;

/**
 * Server name to {@link SslContext}, swappable as a whole: {@link #reload} builds every
 * context of the new configuration first (and throws, changing nothing, if one fails), then
 * replaces the mapping in one volatile write. Handshakes that already picked a context keep
 * it; connections are never dropped. Thread-safe.
 *
 * <p>Every context: TLS 1.3 and 1.2 only, HTTP/2-approved cipher suites (RFC 9113 9.2.2),
 * ALPN offering {@code h2} then {@code http/1.1} (no ALPN from the client is accepted), the
 * provider of {@link Transports#sslProvider()}, and a required client certificate when the
 * configuration names a client CA.
 */
final class SniCertificates implements Mapping<String, SslContext> {
    static final String[] PROTOCOLS = {"TLSv1.3", "TLSv1.2"};

    private volatile Mapping<String, SslContext> current;

    SniCertificates(TlsConfig tls) {
        this.current = build(tls);
    }

    void reload(TlsConfig tls) {
        current = build(tls);
    }

    /** Replaces the mapping with one {@link #build} made. */
    void install(Mapping<String, SslContext> mapping) {
        current = mapping;
    }

    @Override
    public SslContext map(String serverName) {
        return current.map(serverName);
    }

    /** Every context of {@code tls}; throws {@link IllegalArgumentException} when one cannot be built. */
    static Mapping<String, SslContext> build(TlsConfig tls) {
        Map<TlsConfig.CertificateFiles, SslContext> built = new HashMap<>();
        DomainWildcardMappingBuilder<SslContext> mapping =
                new DomainWildcardMappingBuilder<>(context(tls.defaultCertificate(), tls, built));
        tls.sniCertificates().forEach((host, files) -> mapping.add(host, context(files, tls, built)));
        return mapping.build();
    }

    private static SslContext context(TlsConfig.CertificateFiles files, TlsConfig tls,
                                      Map<TlsConfig.CertificateFiles, SslContext> built) {
        return built.computeIfAbsent(files, f -> {
            try {
                SslContextBuilder builder = SslContextBuilder.forServer(f.chain().toFile(), f.key().toFile())
                        .sslProvider(Transports.sslProvider())
                        .protocols(PROTOCOLS)
                        .ciphers(Http2SecurityUtil.CIPHERS, SupportedCipherSuiteFilter.INSTANCE)
                        .applicationProtocolConfig(new ApplicationProtocolConfig(
                                ApplicationProtocolConfig.Protocol.ALPN,
                                ApplicationProtocolConfig.SelectorFailureBehavior.NO_ADVERTISE,
                                ApplicationProtocolConfig.SelectedListenerFailureBehavior.ACCEPT,
                                ApplicationProtocolNames.HTTP_2, ApplicationProtocolNames.HTTP_1_1));
                if (tls.clientCa() != null) {
                    builder.trustManager(tls.clientCa().toFile()).clientAuth(ClientAuth.REQUIRE);
                }
                return builder.build();
            } catch (Exception e) {
                throw new IllegalArgumentException("tls: cannot load certificate " + f.chain() + " with key " + f.key()
                        + (tls.clientCa() != null ? " and client CA " + tls.clientCa() : "") + ": " + e.getMessage(), e);
            }
        });
    }
}
