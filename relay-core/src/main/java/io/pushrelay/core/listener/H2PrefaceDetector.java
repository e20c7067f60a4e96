package io.pushrelay.core.listener;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.netty.handler.codec.http2.Http2CodecUtil;
import io.pushrelay.core.forward.Forwarder;
import io.pushrelay.core.inbound.InboundSettings;
import java.util.List;

/**
 * For a TLS connection whose client offered no ALPN (Pushy's default): looks at the first
 * decrypted bytes. The 24-byte HTTP/2 connection preface {@code PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n}
 * (RFC 9113 3.4) means h2 with prior knowledge; the first byte that differs means HTTP/1.1.
 * Then puts in that protocol's handlers and removes itself; the bytes it held go on to them
 * untouched. Buffers: holds the bytes until it decides, consumes none.
 */
final class H2PrefaceDetector extends ByteToMessageDecoder {
    private static final ByteBuf PREFACE = Http2CodecUtil.connectionPrefaceBuf();

    private final InboundSettings settings;
    private final Forwarder forwarder;
    private final ListenerCounters counters;

    H2PrefaceDetector(InboundSettings settings, Forwarder forwarder, ListenerCounters counters) {
        this.settings = settings;
        this.forwarder = forwarder;
        this.counters = counters;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        if (ctx.channel().isActive()) {
            ctx.read();
        }
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        int length = Math.min(in.readableBytes(), PREFACE.readableBytes());
        boolean isPreface = true;
        for (int i = 0; i < length; i++) {
            if (in.getByte(in.readerIndex() + i) != PREFACE.getByte(PREFACE.readerIndex() + i)) {
                isPreface = false;
                break;
            }
        }
        if (isPreface && length < PREFACE.readableBytes()) {
            return;
        }
        if (isPreface) {
            counters.h2PriorKnowledge.increment();
            InboundPipelines.addH2(ctx.pipeline(), ctx.name(), settings, forwarder);
        } else {
            counters.h1WithoutAlpn.increment();
            InboundPipelines.addH1(ctx.pipeline(), ctx.name(), settings, forwarder);
        }
        ctx.pipeline().remove(this);
    }
}
