package io.pushrelay.core.listener;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.handler.timeout.IdleStateHandler;
import io.pushrelay.core.observe.metrics.ListenerMetrics;
import io.pushrelay.core.observe.metrics.TrafficCountingHandler;
import java.util.concurrent.TimeUnit;

/**
 * The {@link PipelineNames#IDLE} handler of a listener with metrics: the idle timeout, and a
 * count of the bytes read and written on the wire ({@code push_relay_downstream_rx_bytes_total},
 * {@code push_relay_downstream_tx_bytes_total}). One handler for both, first in the pipeline,
 * so that counting costs no extra pipeline hop and the pipeline's names stay those of
 * {@link PipelineNames}.
 *
 * <p>One per connection (like {@link IdleStateHandler}), on its event loop. Buffers: it reads
 * {@code readableBytes()} only and passes every message on; it never owns one. Writes are
 * counted when written to the pipeline, not when flushed to the socket.
 */
final class CountingIdleHandler extends IdleStateHandler {
    private final ListenerMetrics metrics;

    CountingIdleHandler(long allIdleMillis, ListenerMetrics metrics) {
        super(false, 0, 0, allIdleMillis, TimeUnit.MILLISECONDS);
        this.metrics = metrics;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) throws Exception {
        long n = TrafficCountingHandler.size(msg);
        if (n > 0) {
            metrics.received(n);
        }
        super.channelRead(ctx, msg);
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) throws Exception {
        long n = TrafficCountingHandler.size(msg);
        if (n > 0) {
            metrics.sent(n);
        }
        super.write(ctx, msg, promise);
    }
}
