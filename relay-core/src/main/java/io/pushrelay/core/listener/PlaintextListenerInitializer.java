package io.pushrelay.core.listener;

import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelPipeline;
import io.pushrelay.core.forward.Forwarder;
import io.pushrelay.core.inbound.InboundSettings;

/** The pipeline of a connection to a plaintext HTTP/1.1 listener: {@code idle, h1-decoder, h1-encoder, h1, errors}. */
final class PlaintextListenerInitializer extends ChannelInitializer<Channel> {
    private final RelayListener listener;
    private final InboundSettings settings;
    private final Forwarder forwarder;
    private final ConnectionErrorHandler errors;

    PlaintextListenerInitializer(RelayListener listener, InboundSettings settings, Forwarder forwarder) {
        this.listener = listener;
        this.settings = settings;
        this.forwarder = forwarder;
        this.errors = new ConnectionErrorHandler(listener.config().name());
    }

    @Override
    protected void initChannel(Channel ch) {
        if (!listener.admit(ch)) {
            return;
        }
        listener.counters().h1Plaintext.increment();
        ChannelPipeline pipeline = ch.pipeline();
        pipeline.addLast(PipelineNames.IDLE, listener.newIdleHandler());
        pipeline.addLast(PipelineNames.ERRORS, errors);
        InboundPipelines.addH1(pipeline, PipelineNames.IDLE, settings, forwarder);
    }
}
