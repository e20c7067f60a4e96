package io.pushrelay.pre.passthrough;

import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.ReferenceCountUtil;
import java.util.concurrent.atomic.LongAdder;

/**
 * Copies bytes read on one channel to another, one read at a time: the next read is asked
 * for only when the previous write has succeeded, so a slow side throttles the fast one
 * (both channels run with {@code AUTO_READ} off). Closing either side flushes and closes the
 * other. Both channels are on the same event loop.
 *
 * <p>Buffers: each read {@code ByteBuf} is passed on to the other channel's write, which
 * releases it; if the other side is gone it is released here.
 */
final class SpliceHandler extends ChannelInboundHandlerAdapter {
    private final Channel other;
    private final LongAdder bytes;

    SpliceHandler(Channel other, LongAdder bytes) {
        this.other = other;
        this.bytes = bytes;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        ctx.read();
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        if (ctx.channel().isActive()) {
            ctx.read();
        }
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!other.isActive()) {
            ReferenceCountUtil.release(msg);
            return;
        }
        if (msg instanceof io.netty.buffer.ByteBuf buf) {
            bytes.add(buf.readableBytes());
        }
        other.writeAndFlush(msg).addListener((ChannelFutureListener) future -> {
            if (future.isSuccess()) {
                ctx.channel().read();
            } else {
                future.channel().close();
                ctx.channel().close();
            }
        });
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        closeOnFlush(other);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        // Resets and broken pipes are the ordinary end of a tunnel.
        closeOnFlush(ctx.channel());
    }

    static void closeOnFlush(Channel channel) {
        if (channel.isActive()) {
            channel.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
        }
    }
}
