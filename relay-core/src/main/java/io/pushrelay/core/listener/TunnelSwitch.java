package io.pushrelay.core.listener;

import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPipeline;
import io.pushrelay.core.forward.Forwarder;
import io.pushrelay.core.inbound.ConnectionAttributes;
import io.pushrelay.core.inbound.InboundSettings;
import io.pushrelay.core.inbound.TunnelTerminator;

/**
 * Turns an HTTP/1.1 connection of a TLS listener into a terminated {@code CONNECT} tunnel:
 * {@code idle, tls, h1-decoder, h1-encoder, h1, errors} becomes
 * {@code idle, tls, tunnel-sni, alpn, errors}, and from there, like an accepted connection,
 * {@code idle, tls, tunnel-tls, h2 | h1-decoder, h1-encoder, h1, errors}. The inner TLS uses the
 * listener's certificates chosen by SNI, without asking for a client certificate (the
 * downstream proved who it is on the outer TLS, whose verified certificate stays the
 * connection's), and offers h2 and http/1.1 by ALPN. Requests inside carry the tunnel's target
 * ({@link ConnectionAttributes#TUNNEL}) and may not open another tunnel.
 *
 * <p>Runs on the connection's event loop. Stateless apart from the listener's certificates;
 * one per listener.
 */
final class TunnelSwitch implements TunnelTerminator {
    private final RelayListener listener;
    private final SniCertificates certificates;
    private final InboundSettings insideSettings;
    private final Forwarder forwarder;

    TunnelSwitch(RelayListener listener, SniCertificates certificates, InboundSettings settings, Forwarder forwarder) {
        this.listener = listener;
        this.certificates = certificates;
        this.insideSettings = settings.insideTunnel();
        this.forwarder = forwarder;
    }

    @Override
    public void open(ChannelHandlerContext h1, String target) {
        Channel ch = h1.channel();
        ChannelPipeline pipeline = h1.pipeline();
        ListenerConfig config = listener.config();
        ch.attr(ConnectionAttributes.TUNNEL).set(target);
        listener.counters().tunnels.increment();
        pipeline.addAfter(PipelineNames.H1_DECODER, PipelineNames.TUNNEL_SNI, new RelaySniHandler(certificates,
                config.handshakeTimeout().toMillis(), PipelineNames.TUNNEL_TLS));
        pipeline.addAfter(PipelineNames.TUNNEL_SNI, PipelineNames.ALPN, new ProtocolNegotiationHandler(config,
                listener.counters(), insideSettings, forwarder, PipelineNames.TUNNEL_TLS));
        pipeline.remove(PipelineNames.H1);
        pipeline.remove(PipelineNames.H1_ENCODER);
        // Last: the bytes the decoder holds (a ClientHello sent early) go on to tunnel-sni.
        pipeline.remove(PipelineNames.H1_DECODER);
        ch.read();
    }
}
