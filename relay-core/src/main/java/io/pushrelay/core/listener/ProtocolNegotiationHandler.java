package io.pushrelay.core.listener;

import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.ssl.ApplicationProtocolNames;
import io.netty.handler.ssl.ApplicationProtocolNegotiationHandler;
import io.netty.handler.ssl.SniCompletionEvent;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;
import io.netty.handler.ssl.SslHandshakeTimeoutException;
import io.pushrelay.core.forward.Downstream;
import io.pushrelay.core.forward.Forwarder;
import io.pushrelay.core.inbound.ConnectionAttributes;
import io.pushrelay.core.inbound.InboundSettings;
import io.pushrelay.core.observe.logging.LogThrottle;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import javax.net.ssl.SSLPeerUnverifiedException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * After the TLS handshake: puts in the handlers of the protocol ALPN chose ({@code h2} or
 * {@code http/1.1}), or, when the client offered no ALPN, the {@link H2PrefaceDetector}; any
 * other protocol is a bug and fails loudly. Replaces itself. Records the verified client
 * certificate in {@link ConnectionAttributes#CLIENT_CERTIFICATE} when the certificate in use
 * requires one. Reads the protocol from its own {@link SslHandler} by name (Netty's base class
 * would take the first in the pipeline: the outer one inside a {@code CONNECT} tunnel).
 *
 * <p>Also the one place that reports a failed handshake: one WARN line and a counter
 * (bytes that are not TLS, a timeout, a real failure); a downstream hanging up mid-handshake
 * only at DEBUG. Stack traces only at DEBUG.
 */
final class ProtocolNegotiationHandler extends ApplicationProtocolNegotiationHandler {
    private static final Logger LOG = LoggerFactory.getLogger(ProtocolNegotiationHandler.class);
    /** The fallback "protocol" when the client offered no ALPN: not a name anyone registers. */
    static final String NO_ALPN = "-no-alpn-";

    private final ListenerConfig config;
    private final ListenerCounters counters;
    private final InboundSettings settings;
    private final Forwarder forwarder;
    private final String tlsName;
    private boolean reported;

    ProtocolNegotiationHandler(ListenerConfig config, ListenerCounters counters, InboundSettings settings,
                               Forwarder forwarder) {
        this(config, counters, settings, forwarder, PipelineNames.TLS);
    }

    /** @param tlsName the name of the {@link SslHandler} whose handshake this handler follows */
    ProtocolNegotiationHandler(ListenerConfig config, ListenerCounters counters, InboundSettings settings,
                               Forwarder forwarder, String tlsName) {
        super(NO_ALPN);
        this.config = config;
        this.counters = counters;
        this.settings = settings;
        this.forwarder = forwarder;
        this.tlsName = tlsName;
    }

    @Override
    protected void configurePipeline(ChannelHandlerContext ctx, String firstHandlersProtocol) throws Exception {
        String protocol = firstHandlersProtocol;
        SslHandler ssl = ctx.pipeline().get(tlsName) instanceof SslHandler named ? named : null;
        if (ssl != null && !PipelineNames.TLS.equals(tlsName)) {
            // Inside a tunnel: the base class asked the outer handler, the first in the pipeline.
            String negotiated = ssl.applicationProtocol();
            protocol = negotiated != null ? negotiated : NO_ALPN;
        }
        if (ssl != null && ssl.engine().getNeedClientAuth()) {
            recordClientCertificate(ssl, ctx);
        }
        switch (protocol) {
            case ApplicationProtocolNames.HTTP_2 -> {
                counters.h2Alpn.increment();
                InboundPipelines.addH2(ctx.pipeline(), ctx.name(), settings, forwarder);
            }
            case ApplicationProtocolNames.HTTP_1_1 -> {
                counters.h1Alpn.increment();
                InboundPipelines.addH1(ctx.pipeline(), ctx.name(), settings, forwarder);
            }
            case NO_ALPN -> ctx.pipeline().addAfter(ctx.name(), PipelineNames.H2_PREFACE,
                    new H2PrefaceDetector(settings, forwarder, counters));
            default -> throw new IllegalStateException("listener " + config.name() + ": ALPN chose '" + protocol
                    + "', which this listener does not speak");
        }
    }

    private static void recordClientCertificate(SslHandler ssl, ChannelHandlerContext ctx)
            throws SSLPeerUnverifiedException {
        Certificate[] chain = ssl.engine().getSession().getPeerCertificates();
        if (chain.length == 0 || !(chain[0] instanceof X509Certificate)) {
            throw new SSLPeerUnverifiedException("no X.509 client certificate");
        }
        ctx.channel().attr(ConnectionAttributes.CLIENT_CERTIFICATE).set((X509Certificate) chain[0]);
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
        if (evt instanceof SniCompletionEvent sni && !sni.isSuccess()) {
            report(ctx, sni.cause());
        } else if (evt instanceof SslHandshakeCompletionEvent handshake && !handshake.isSuccess()) {
            report(ctx, handshake.cause());
        }
        super.userEventTriggered(ctx, evt);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) throws Exception {
        if (TlsFailures.isHangUp(cause)) {
            // A reset before the handshake ended: no protocol to blame, not worth a WARN.
            report(ctx, cause);
            ctx.close();
            return;
        }
        super.exceptionCaught(ctx, cause);
    }

    @Override
    protected void handshakeFailure(ChannelHandlerContext ctx, Throwable cause) {
        report(ctx, cause);
        ctx.close();
    }

    private void report(ChannelHandlerContext ctx, Throwable cause) {
        if (reported) {
            return;
        }
        reported = true;
        String peer = Downstream.format(ConnectionAttributes.remoteAddress(ctx.channel()));
        String id = ConnectionAttributes.id(ctx.channel());
        if (TlsFailures.isNotTls(cause)) {
            counters.notTls.increment();
            counters.tlsHandshakeFailed();
            long held = counters.warnings.due("not TLS");
            if (held != LogThrottle.HOLD) {
                LOG.warn("listener {}: {} [{}] sent bytes that are not TLS; closed{}", config.name(), peer, id,
                        LogThrottle.more(held));
            }
        } else if (TlsFailures.unwrap(cause) instanceof SslHandshakeTimeoutException) {
            counters.tlsHandshakeTimeouts.increment();
            counters.tlsHandshakeFailed();
            long held = counters.warnings.due("handshake timeout");
            if (held != LogThrottle.HOLD) {
                LOG.warn("listener {}: TLS handshake with {} [{}] timed out after {} ms; closed{}", config.name(), peer,
                        id, config.handshakeTimeout().toMillis(), LogThrottle.more(held));
            }
        } else if (TlsFailures.isHangUp(cause)) {
            counters.tlsHandshakeResets.increment();
            LOG.debug("listener {}: {} [{}] hung up during the TLS handshake: {}", config.name(), peer, id,
                    TlsFailures.describe(cause));
        } else {
            counters.tlsHandshakeFailures.increment();
            counters.tlsHandshakeFailed();
            String why = TlsFailures.describe(cause);
            long held = counters.warnings.due(why);
            if (held != LogThrottle.HOLD) {
                LOG.warn("listener {}: TLS handshake with {} [{}] failed: {}{}", config.name(), peer, id, why,
                        LogThrottle.more(held));
            }
        }
        if (LOG.isDebugEnabled()) {
            LOG.debug("listener {}: handshake failure of {} [{}]", config.name(), peer, id, cause);
        }
    }
}
