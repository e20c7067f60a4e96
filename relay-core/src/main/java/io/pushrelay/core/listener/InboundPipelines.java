package io.pushrelay.core.listener;

import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.http.HttpResponseEncoder;
import io.pushrelay.core.forward.Forwarder;
import io.pushrelay.core.inbound.H1InboundHandler;
import io.pushrelay.core.inbound.H1RequestDecoder;
import io.pushrelay.core.inbound.H2InboundHandler;
import io.pushrelay.core.inbound.InboundSettings;

/** Puts the protocol handlers into a pipeline, under the names of {@link PipelineNames}. */
final class InboundPipelines {
    private InboundPipelines() {
    }

    /** {@code h2} after {@code after}. */
    static void addH2(ChannelPipeline pipeline, String after, InboundSettings settings, Forwarder forwarder) {
        pipeline.addAfter(after, PipelineNames.H2, H2InboundHandler.create(settings, forwarder));
    }

    /** {@code h1-decoder, h1-encoder, h1} after {@code after}. */
    static void addH1(ChannelPipeline pipeline, String after, InboundSettings settings, Forwarder forwarder) {
        pipeline.addAfter(after, PipelineNames.H1_DECODER, new H1RequestDecoder());
        pipeline.addAfter(PipelineNames.H1_DECODER, PipelineNames.H1_ENCODER, new HttpResponseEncoder());
        pipeline.addAfter(PipelineNames.H1_ENCODER, PipelineNames.H1, new H1InboundHandler(settings, forwarder));
    }
}
