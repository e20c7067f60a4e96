package io.pushrelay.core.listener;

import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelPipeline;
import io.pushrelay.core.forward.Forwarder;
import io.pushrelay.core.inbound.InboundSettings;

/**
 * The pipeline of a connection to a TLS-terminating listener, as accepted:
 * {@code idle, sni, alpn, errors} (see {@link PipelineNames} for what it becomes).
 */
final class TlsListenerInitializer extends ChannelInitializer<Channel> {
    private final RelayListener listener;
    private final SniCertificates certificates;
    private final InboundSettings settings;
    private final Forwarder forwarder;
    private final ConnectionErrorHandler errors;

    TlsListenerInitializer(RelayListener listener, SniCertificates certificates, InboundSettings settings,
                           Forwarder forwarder) {
        this.listener = listener;
        this.certificates = certificates;
        this.settings = settings;
        this.forwarder = forwarder;
        this.errors = new ConnectionErrorHandler(listener.config().name());
    }

    @Override
    protected void initChannel(Channel ch) {
        if (!listener.admit(ch)) {
            return;
        }
        ListenerConfig config = listener.config();
        ChannelPipeline pipeline = ch.pipeline();
        pipeline.addLast(PipelineNames.IDLE, listener.newIdleHandler());
        pipeline.addLast(PipelineNames.SNI, new RelaySniHandler(certificates, config.handshakeTimeout().toMillis()));
        pipeline.addLast(PipelineNames.ALPN,
                new ProtocolNegotiationHandler(config, listener.counters(), settings, forwarder));
        pipeline.addLast(PipelineNames.ERRORS, errors);
        // Not auto-reading: the first read is ours; the handlers after it read as they need.
        ch.read();
    }
}
