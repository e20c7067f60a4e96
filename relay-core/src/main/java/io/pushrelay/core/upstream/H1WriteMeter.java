package io.pushrelay.core.upstream;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.ChannelProgressiveFuture;
import io.netty.channel.ChannelProgressiveFutureListener;
import io.netty.channel.ChannelProgressivePromise;
import io.netty.channel.ChannelPromise;

/**
 * Counts the bytes the transport has actually handed to the socket, below every TLS layer (first
 * in the pipeline): the proof an {@link H1Connection} needs before it may send a request again
 * elsewhere. A write whose bytes never reached the socket (the connection was gone, or the first
 * {@code write(2)} failed) leaves the count unchanged; any part of it that did, counts. Netty's
 * transports report partial writes as progress of a {@link ChannelProgressivePromise}, so each
 * buffer written is given one, and its outcome is passed on to the original promise.
 *
 * <p>Event-loop confined. Buffers: passes every message on untouched.
 */
final class H1WriteMeter extends ChannelOutboundHandlerAdapter {
    private long bytesWritten;

    /** Bytes handed to the socket so far on this connection. */
    long bytesWritten() {
        return bytesWritten;
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
        if (!(msg instanceof ByteBuf buf) || !buf.isReadable()) {
            ctx.write(msg, promise);
            return;
        }
        ChannelProgressivePromise metered = ctx.newProgressivePromise();
        metered.addListener(new ChannelProgressiveFutureListener() {
            private long counted;

            @Override
            public void operationProgressed(ChannelProgressiveFuture future, long progress, long total) {
                bytesWritten += progress - counted;
                counted = progress;
            }

            @Override
            public void operationComplete(ChannelProgressiveFuture future) {
                if (future.isSuccess()) {
                    promise.trySuccess();
                } else {
                    promise.tryFailure(future.cause());
                }
            }
        });
        ctx.write(msg, metered);
    }
}
