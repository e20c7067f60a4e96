package io.pushrelay.core.listener;

import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.ssl.SniHandler;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslHandler;
import io.netty.util.Mapping;
import io.netty.util.ReferenceCountUtil;

/**
 * Netty's {@link SniHandler} that puts its {@link SslHandler} in under
 * {@link PipelineNames#TLS}. Bounds the wait for the ClientHello and then the handshake by the
 * listener's handshake timeout each.
 */
final class RelaySniHandler extends SniHandler {
    RelaySniHandler(Mapping<? super String, ? extends SslContext> mapping, long handshakeTimeoutMillis) {
        super(mapping, handshakeTimeoutMillis);
    }

    @Override
    protected void replaceHandler(ChannelHandlerContext ctx, String hostname, SslContext sslContext) {
        SslHandler sslHandler = newSslHandler(sslContext, ctx.alloc());
        try {
            ctx.pipeline().replace(this, PipelineNames.TLS, sslHandler);
            sslHandler = null;
        } finally {
            // Not in the pipeline: the engine was not handed over (netty/netty#5678).
            if (sslHandler != null) {
                ReferenceCountUtil.safeRelease(sslHandler.engine());
            }
        }
    }
}
