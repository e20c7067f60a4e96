package io.pushrelay.core.connect;

import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.util.ReferenceCountUtil;
import java.util.ArrayList;
import java.util.List;

/**
 * Holds the bytes a raw tunnel received before it was handed over (a proxy that passed on tunnel
 * bytes together with its {@code 2xx} head), until the handlers the caller added after it ask for
 * bytes: on the first {@code read()} it fires them as {@code channelRead}s and one
 * {@code channelReadComplete}, and removes itself (that {@code read()} is answered by them and goes
 * no further). Bytes that arrive while it still holds some are appended, keeping their order. If
 * the channel closes first, the held bytes go on before {@code channelInactive}. See
 * {@link Connector#tunnel(io.netty.channel.EventLoop, io.pushrelay.core.policy.Route)}.
 *
 * <p>Event-loop confined. Buffers: owns the held messages until it fires them (the receivers own
 * them then) or is removed with them unread (it releases them).
 */
final class TunnelHandover extends ChannelDuplexHandler {
    private final List<Object> held;

    /** Takes ownership of {@code held}. */
    TunnelHandover(List<Object> held) {
        this.held = new ArrayList<>(held);
    }

    @Override
    public void read(ChannelHandlerContext ctx) {
        if (held.isEmpty()) {
            ctx.read();
            return;
        }
        deliver(ctx);
        ctx.pipeline().remove(this);
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (held.isEmpty()) {
            ctx.fireChannelRead(msg);
        } else {
            held.add(msg);
        }
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        if (held.isEmpty()) {
            ctx.fireChannelReadComplete();
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        if (!held.isEmpty()) {
            deliver(ctx);
        }
        ctx.fireChannelInactive();
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        for (Object msg : held) {
            ReferenceCountUtil.release(msg);
        }
        held.clear();
    }

    private void deliver(ChannelHandlerContext ctx) {
        List<Object> out = new ArrayList<>(held);
        held.clear();
        for (Object msg : out) {
            ctx.fireChannelRead(msg);
        }
        ctx.fireChannelReadComplete();
    }
}
