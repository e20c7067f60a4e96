package io.pushrelay.core.sim;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Without ALPN, the first decrypted bytes say what the client speaks: the 24-byte HTTP/2
 * connection preface (RFC 9113 3.4, prior knowledge) installs the HTTP/2 handler; anything
 * else is HTTP/1.1 when the endpoint speaks it (FCM), and otherwise (APNS, HTTP/2 only) gets a
 * {@code 505} and a close. Decides at the first byte that differs from the preface; replaces
 * itself, and the bytes it looked at go on to the handler it installed.
 *
 * <p>Buffers: the bytes stay in the decoder's cumulation and are handed on (or released on close).
 */
final class PrefaceDetector extends ByteToMessageDecoder {
    private static final Logger LOG = LoggerFactory.getLogger(PrefaceDetector.class);
    static final byte[] PREFACE = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
    private static final String NOT_HTTP2_BODY = "this server speaks only HTTP/2\n";
    private static final byte[] NOT_HTTP2 = ("HTTP/1.1 505 HTTP Version Not Supported\r\n"
            + "content-type: text/plain\r\ncontent-length: " + NOT_HTTP2_BODY.length() + "\r\n"
            + "connection: close\r\n\r\n" + NOT_HTTP2_BODY).getBytes(StandardCharsets.US_ASCII);

    private final SimEndpoint endpoint;
    private final SimConnection connection;

    PrefaceDetector(SimEndpoint endpoint, SimConnection connection) {
        this.endpoint = endpoint;
        this.connection = connection;
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        int n = Math.min(in.readableBytes(), PREFACE.length);
        for (int i = 0; i < n; i++) {
            if (in.getByte(in.readerIndex() + i) != PREFACE[i]) {
                notHttp2(ctx, in);
                return;
            }
        }
        if (n == PREFACE.length) {
            SimProtocolHandler.installHttp2(ctx.pipeline(), ctx.name(), endpoint, connection, "h2-prior-knowledge");
            ctx.pipeline().remove(this);
        }
    }

    private void notHttp2(ChannelHandlerContext ctx, ByteBuf in) {
        if (endpoint.http1) {
            SimProtocolHandler.installHttp1(ctx.pipeline(), ctx.name(), endpoint, connection);
            ctx.pipeline().remove(this);
            return;
        }
        endpoint.protocolRejections.increment();
        LOG.info("{} {} {}: no ALPN and no HTTP/2 preface; answered 505 and closed", endpoint.name, connection.id,
                connection.remoteText());
        in.skipBytes(in.readableBytes());
        ctx.writeAndFlush(Unpooled.wrappedBuffer(NOT_HTTP2)).addListener(ChannelFutureListener.CLOSE);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        LOG.debug("{} {}: {}", endpoint.name, connection.id, cause.toString());
        ctx.close();
    }
}
