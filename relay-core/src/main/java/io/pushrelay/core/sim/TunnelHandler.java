package io.pushrelay.core.sim;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.channel.socket.DuplexChannel;
import io.netty.util.ReferenceCountUtil;
import java.io.IOException;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One side of a CONNECT tunnel: what this channel reads is written to the other one, and this
 * channel reads again only when that write succeeded (both channels have AUTO_READ off), so a
 * slow reader on one side holds back the writer on the other. A half-close (FIN) is passed on
 * as a half-close once what came before it is written (both channels allow half-closure), and
 * the tunnel closes when both sides have sent theirs; when either side closes (or resets), the
 * other is flushed and closed.
 *
 * <p>Threading: both sides live on the same event loop (the upstream channel was opened on the
 * downstream's), an NIO one: see {@link ConnectProxySimulator} for why not epoll. Both are added
 * once the tunnel is up, and each side's first read is asked for there. Buffers: each read
 * buffer is passed to the other channel's write, which releases it; when the other channel is
 * gone it is released here.
 */
final class TunnelHandler extends ChannelInboundHandlerAdapter {
    private static final Logger LOG = LoggerFactory.getLogger(TunnelHandler.class);

    private final Channel peer;
    private final LongAdder bytes;
    private final LongAdder total;
    private final Ends ends;

    /** What the two sides of one tunnel share: how many have half-closed. Event loop only. */
    static final class Ends {
        private int inputsShut;
    }

    /**
     * @param peer  the other side
     * @param bytes this tunnel's count for this direction
     * @param total the proxy's count for this direction
     * @param ends  shared with the other side's handler
     */
    TunnelHandler(Channel peer, LongAdder bytes, LongAdder total, Ends ends) {
        this.peer = peer;
        this.bytes = bytes;
        this.total = total;
        this.ends = ends;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!peer.isActive()) {
            ReferenceCountUtil.release(msg);
            return;
        }
        if (msg instanceof ByteBuf buf) {
            bytes.add(buf.readableBytes());
            total.add(buf.readableBytes());
        }
        peer.writeAndFlush(msg).addListener((ChannelFutureListener) f -> {
            if (f.isSuccess()) {
                readUnlessShut(ctx.channel());
            } else {
                LOG.debug("tunnel write to {} failed: {}", peer.remoteAddress(), f.cause().toString());
                f.channel().close();
                ctx.channel().close();
            }
        });
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (!(evt instanceof ChannelInputShutdownEvent)) {
            ctx.fireUserEventTriggered(evt);
            return;
        }
        ends.inputsShut++;
        if (ends.inputsShut == 2 || !peer.isActive()) {
            closeOnFlush(peer);
            closeOnFlush(ctx.channel());
            return;
        }
        // Queued after the data read before the FIN, so the peer gets all of it first.
        peer.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener((ChannelFutureListener) f -> {
            if (f.isSuccess() && peer instanceof DuplexChannel duplex) {
                duplex.shutdownOutput();
            }
        });
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        closeOnFlush(peer);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (cause instanceof IOException) {
            LOG.debug("tunnel {}: {}", ctx.channel().remoteAddress(), cause.toString());
        } else {
            LOG.warn("tunnel {}: closing after {}", ctx.channel().remoteAddress(), cause.toString());
        }
        closeOnFlush(ctx.channel());
    }

    /** Asks for the next read, unless this side has sent its FIN (nothing more will come). */
    private static void readUnlessShut(Channel channel) {
        if (!(channel instanceof DuplexChannel duplex && duplex.isInputShutdown())) {
            channel.read();
        }
    }

    static void closeOnFlush(Channel channel) {
        if (channel.isActive()) {
            channel.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
        }
    }
}
