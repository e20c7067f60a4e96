package io.pushrelay.core.listener;

import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.ssl.SniHandler;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslHandler;
import io.netty.util.Mapping;
import io.netty.util.ReferenceCountUtil;

/**
 * Netty's {@link SniHandler} that puts its {@link SslHandler} in under a name of
 * {@link PipelineNames}: {@link PipelineNames#TLS}, or {@link PipelineNames#TUNNEL_TLS} inside a
 * {@code CONNECT} tunnel. Bounds the wait for the ClientHello and then the handshake by the
 * listener's handshake timeout each.
 */
final class RelaySniHandler extends SniHandler {
    private final String tlsName;

    RelaySniHandler(Mapping<? super String, ? extends SslContext> mapping, long handshakeTimeoutMillis) {
        this(mapping, handshakeTimeoutMillis, PipelineNames.TLS);
    }

    RelaySniHandler(Mapping<? super String, ? extends SslContext> mapping, long handshakeTimeoutMillis,
                    String tlsName) {
        super(mapping, handshakeTimeoutMillis);
        this.tlsName = tlsName;
    }

    @Override
    protected void replaceHandler(ChannelHandlerContext ctx, String hostname, SslContext sslContext) {
        SslHandler sslHandler = newSslHandler(sslContext, ctx.alloc());
        try {
            ctx.pipeline().replace(this, tlsName, sslHandler);
            sslHandler = null;
        } finally {
            // Not in the pipeline: the engine was not handed over (netty/netty#5678).
            if (sslHandler != null) {
                ReferenceCountUtil.safeRelease(sslHandler.engine());
            }
        }
    }
}
