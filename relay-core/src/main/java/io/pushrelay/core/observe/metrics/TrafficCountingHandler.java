package io.pushrelay.core.observe.metrics;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufHolder;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.prometheus.metrics.core.datapoints.CounterDataPoint;

/**
 * Counts the bytes that pass it, read and written, into two counters; changes nothing. Placed
 * first in a pipeline (before {@code SslHandler}) it counts what goes on the wire.
 *
 * <p>Sharable: one instance per listener or route serves all their channels. Buffers: it only
 * reads {@code readableBytes()} and passes every message on; it never owns one. Writes are
 * counted when written to the pipeline, not when flushed to the socket.
 */
@ChannelHandler.Sharable
public final class TrafficCountingHandler extends ChannelDuplexHandler {
    private final CounterDataPoint received;
    private final CounterDataPoint sent;

    TrafficCountingHandler(CounterDataPoint received, CounterDataPoint sent) {
        this.received = received;
        this.sent = sent;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        long n = size(msg);
        if (n > 0) {
            received.inc(n);
        }
        ctx.fireChannelRead(msg);
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
        long n = size(msg);
        if (n > 0) {
            sent.inc(n);
        }
        ctx.write(msg, promise);
    }

    /** The bytes a message carries on the wire: a buffer's or a buffer holder's readable bytes, else 0. */
    public static long size(Object msg) {
        if (msg instanceof ByteBuf buf) {
            return buf.readableBytes();
        }
        if (msg instanceof ByteBufHolder holder) {
            return holder.content().readableBytes();
        }
        return 0;
    }
}
