package io.pushrelay.core.sim;

import io.netty.handler.codec.http2.Http2SecurityUtil;
import io.netty.handler.ssl.ApplicationProtocolConfig;
import io.netty.handler.ssl.ClientAuth;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SupportedCipherSuiteFilter;
import io.pushrelay.core.transport.Transports;
import java.security.cert.X509Certificate;
import java.util.List;
import javax.net.ssl.SSLException;

/** Server-side TLS for the simulators: TLS 1.2 and 1.3 only, h2-safe ciphers, ALPN. */
final class SimTls {
    /** What {@link SimProtocolHandler} is told when the client offered no ALPN at all. */
    static final String NO_ALPN = "(none)";

    private SimTls() {
    }

    /**
     * A server context offering {@code alpn} in that order. A client whose ALPN list shares
     * nothing with it gets no protocol (not a handshake failure), like a server that does not
     * advertise; the preface then decides.
     *
     * @param clientCa when not empty, a client certificate issued by one of these is required
     */
    static SslContext serverContext(ServerIdentity identity, List<X509Certificate> clientCa, String... alpn) {
        SslContextBuilder builder = SslContextBuilder
                .forServer(identity.key(), identity.chain().toArray(new X509Certificate[0]))
                .sslProvider(Transports.sslProvider())
                .protocols("TLSv1.3", "TLSv1.2")
                .ciphers(Http2SecurityUtil.CIPHERS, SupportedCipherSuiteFilter.INSTANCE)
                .applicationProtocolConfig(new ApplicationProtocolConfig(
                        ApplicationProtocolConfig.Protocol.ALPN,
                        ApplicationProtocolConfig.SelectorFailureBehavior.NO_ADVERTISE,
                        ApplicationProtocolConfig.SelectedListenerFailureBehavior.ACCEPT,
                        alpn));
        if (!clientCa.isEmpty()) {
            builder.trustManager(clientCa.toArray(new X509Certificate[0])).clientAuth(ClientAuth.REQUIRE);
        }
        try {
            return builder.build();
        } catch (SSLException e) {
            throw new IllegalArgumentException("tls: " + e.getMessage(), e);
        }
    }
}
