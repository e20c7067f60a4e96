package io.pushrelay.core.sim;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.ssl.ApplicationProtocolNames;
import io.netty.handler.ssl.ApplicationProtocolNegotiationHandler;
import io.netty.handler.ssl.SslHandler;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import javax.net.ssl.SSLPeerUnverifiedException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Acts on the TLS handshake's outcome: ALPN {@code h2} installs the HTTP/2 handler, ALPN
 * {@code http/1.1} the HTTP/1.1 handlers (FCM only), no ALPN the {@link PrefaceDetector}
 * (Pushy's default client offers none and speaks HTTP/2 with prior knowledge). Replaces
 * itself; buffers what arrives meanwhile and hands it on. A failed handshake is one WARN line
 * and a counter.
 */
final class SimProtocolHandler extends ApplicationProtocolNegotiationHandler {
    private static final Logger LOG = LoggerFactory.getLogger(SimProtocolHandler.class);

    private final SimEndpoint endpoint;
    private final SimConnection connection;

    SimProtocolHandler(SimEndpoint endpoint, SimConnection connection) {
        super(SimTls.NO_ALPN);
        this.endpoint = endpoint;
        this.connection = connection;
    }

    @Override
    protected void configurePipeline(ChannelHandlerContext ctx, String protocol) {
        connection.clientCertificate = peerCertificate(ctx);
        if (ApplicationProtocolNames.HTTP_2.equals(protocol)) {
            installHttp2(ctx.pipeline(), ctx.name(), endpoint, connection, "h2");
        } else if (ApplicationProtocolNames.HTTP_1_1.equals(protocol) && endpoint.http1) {
            installHttp1(ctx.pipeline(), ctx.name(), endpoint, connection);
        } else if (SimTls.NO_ALPN.equals(protocol)) {
            ctx.pipeline().addAfter(ctx.name(), SimHandlerNames.PREFACE, new PrefaceDetector(endpoint, connection));
        } else {
            throw new IllegalStateException(endpoint.name + " " + connection.id + ": ALPN chose unsupported protocol "
                    + protocol);
        }
    }

    static void installHttp2(ChannelPipeline pipeline, String after, SimEndpoint endpoint, SimConnection connection,
                             String label) {
        connection.protocol = label;
        pipeline.addAfter(after, SimHandlerNames.H2, SimHttp2Handler.create(endpoint, connection));
    }

    static void installHttp1(ChannelPipeline pipeline, String after, SimEndpoint endpoint, SimConnection connection) {
        connection.protocol = "http/1.1";
        pipeline.addAfter(after, SimHandlerNames.H1_CODEC, new HttpServerCodec());
        pipeline.addAfter(SimHandlerNames.H1_CODEC, SimHandlerNames.H1_AGGREGATOR,
                new HttpObjectAggregator(endpoint.maxBodyBytes));
        pipeline.addAfter(SimHandlerNames.H1_AGGREGATOR, SimHandlerNames.H1_EXCHANGE,
                new SimHttp1Handler(endpoint, connection));
    }

    @Override
    protected void handshakeFailure(ChannelHandlerContext ctx, Throwable cause) {
        endpoint.connections.handshakeFailures.increment();
        LOG.warn("{} {} {}: TLS handshake failed: {}", endpoint.name, connection.id, connection.remoteText(),
                cause.getMessage());
        LOG.debug("{} {}: handshake failure", endpoint.name, connection.id, cause);
        ctx.close();
    }

    private static X509Certificate peerCertificate(ChannelHandlerContext ctx) {
        SslHandler ssl = ctx.pipeline().get(SslHandler.class);
        try {
            Certificate[] peer = ssl.engine().getSession().getPeerCertificates();
            return peer.length > 0 && peer[0] instanceof X509Certificate x ? x : null;
        } catch (SSLPeerUnverifiedException e) {
            return null;
        }
    }
}
