package io.pushrelay.core.connect;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ConnectTimeoutException;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.netty.util.concurrent.ScheduledFuture;
import io.pushrelay.core.forward.RelayError;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Opens a tunnel through an HTTP proxy (RFC 9110 9.3.6): on {@code channelActive} writes
 * {@code CONNECT host:port} (with {@code Proxy-Authorization: Basic} when configured), reads the
 * proxy's answer head, and then either
 * <ul>
 *   <li>2xx: fires {@link #TUNNEL_ESTABLISHED} and removes itself; any bytes after the answer head
 *       pass on to the next handler (ByteToMessageDecoder hands its remaining buffer on);</li>
 *   <li>otherwise: fires a {@link ConnectorException} as {@code exceptionCaught} and stops reading:
 *       502/503/504 are the proxy's word that the target is unreachable
 *       ({@link RelayError#UPSTREAM_UNAVAILABLE}), any other status a refusal
 *       ({@link RelayError#PROXY_REFUSED}); no answer within the timeout, a hang-up or a
 *       malformed answer mean the proxy is not usable ({@link RelayError#PROXY_UNAVAILABLE}).</li>
 * </ul>
 * Messages name both ends: {@code connect, basic, 127.0.0.1:3128 => api.push.apple.com:443, status: 407}.
 * The handler closes nothing itself; whoever receives the exception does.
 *
 * <p>One instance per channel; event-loop confined. Buffers: inbound bytes are consumed here or,
 * after a 2xx, passed on (ByteToMessageDecoder's ownership rules).
 */
public final class HttpConnectHandler extends ByteToMessageDecoder {
    /** The user event fired when the proxy answered 2xx. */
    public static final Object TUNNEL_ESTABLISHED = new Object() {
        @Override
        public String toString() {
            return "TUNNEL_ESTABLISHED";
        }
    };

    /** A proxy's answer head larger than this is not a proxy talking. */
    private static final int MAX_HEAD_BYTES = 16 * 1024;

    private final String target;
    private final String authorization;
    private final String ends;
    private final long timeoutMillis;
    private ScheduledFuture<?> timeout;
    private boolean finished;

    /**
     * @param target        {@code host:port} to connect to (IPv6 literals bracketed)
     * @param authorization the {@code Proxy-Authorization} value, or null
     * @param ends          {@code connect, basic, proxy:3128 => host:443}: the start of every message
     * @param timeoutMillis how long the proxy has to answer once the request is written
     */
    public HttpConnectHandler(String target, String authorization, String ends, long timeoutMillis) {
        this.target = target;
        this.authorization = authorization;
        this.ends = ends;
        this.timeoutMillis = timeoutMillis;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        if (ctx.channel().isActive()) {
            sendConnect(ctx);
        }
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) throws Exception {
        sendConnect(ctx);
        super.channelActive(ctx);
    }

    private void sendConnect(ChannelHandlerContext ctx) {
        if (timeout != null || finished) {
            return;
        }
        StringBuilder request = new StringBuilder(160)
                .append("CONNECT ").append(target).append(" HTTP/1.1\r\n")
                .append("Host: ").append(target).append("\r\n");
        if (authorization != null) {
            request.append("Proxy-Authorization: ").append(authorization).append("\r\n");
        }
        request.append("\r\n");
        // With a TLS proxy, SslHandler holds this until its handshake is done.
        ctx.writeAndFlush(ByteBufUtil.writeAscii(ctx.alloc(), request));
        timeout = ctx.executor().schedule(() -> {
            String why = "no answer to CONNECT within " + timeoutMillis + " ms";
            // The cause tells the connector's metrics a timeout from a hang-up.
            fail(ctx, new ConnectorException(RelayError.PROXY_UNAVAILABLE, ends + ", " + why,
                    new ConnectTimeoutException(why)));
        }, timeoutMillis, TimeUnit.MILLISECONDS);
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        while (!finished) {
            int end = indexOfEndOfHead(in);
            if (end < 0) {
                if (in.readableBytes() > MAX_HEAD_BYTES) {
                    in.skipBytes(in.readableBytes());
                    fail(ctx, new ConnectorException(RelayError.PROXY_UNAVAILABLE,
                            ends + ", proxy answer head larger than " + MAX_HEAD_BYTES + " bytes"));
                }
                return;
            }
            String head = in.toString(in.readerIndex(), end - in.readerIndex(), StandardCharsets.ISO_8859_1);
            in.readerIndex(end + 4);
            int status = statusOf(head);
            if (status < 0) {
                in.skipBytes(in.readableBytes());
                String line = head.lines().findFirst().orElse("");
                fail(ctx, new ConnectorException(RelayError.PROXY_UNAVAILABLE,
                        ends + ", not an HTTP answer: " + printable(line)));
                return;
            }
            if (status < 200) {
                continue; // 1xx: interim, the final answer follows (RFC 9110 15.2)
            }
            if (status < 300) {
                finished = true;
                cancelTimeout();
                ctx.fireUserEventTriggered(TUNNEL_ESTABLISHED);
                // Remaining bytes (none, in practice: the upstream waits for our ClientHello)
                // go to the next handler when ByteToMessageDecoder sees us removed.
                ctx.pipeline().remove(this);
                return;
            }
            in.skipBytes(in.readableBytes());
            RelayError error = status == 502 || status == 503 || status == 504
                    ? RelayError.UPSTREAM_UNAVAILABLE : RelayError.PROXY_REFUSED;
            fail(ctx, new ConnectorException(error, ends + ", status: " + status, status));
            return;
        }
        in.skipBytes(in.readableBytes());
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        if (!finished) {
            fail(ctx, new ConnectorException(RelayError.PROXY_UNAVAILABLE,
                    ends + ", proxy closed the connection before answering CONNECT"));
        }
        super.channelInactive(ctx);
    }

    @Override
    protected void handlerRemoved0(ChannelHandlerContext ctx) {
        cancelTimeout();
    }

    private void fail(ChannelHandlerContext ctx, ConnectorException e) {
        if (finished) {
            return;
        }
        finished = true;
        cancelTimeout();
        ctx.fireExceptionCaught(e);
    }

    private void cancelTimeout() {
        if (timeout != null) {
            timeout.cancel(false);
        }
    }

    /** The index of the CR of the first CRLFCRLF, or -1. */
    private static int indexOfEndOfHead(ByteBuf in) {
        int from = in.readerIndex();
        int to = in.writerIndex() - 3;
        for (int i = from; i < to; i++) {
            if (in.getByte(i) == '\r' && in.getByte(i + 1) == '\n' && in.getByte(i + 2) == '\r'
                    && in.getByte(i + 3) == '\n') {
                return i;
            }
        }
        return -1;
    }

    /** The status of {@code HTTP/1.x NNN reason}, or -1 when the head is not an HTTP answer. */
    static int statusOf(String head) {
        int eol = head.indexOf('\r');
        String line = eol < 0 ? head : head.substring(0, eol);
        if (!line.startsWith("HTTP/1.") || line.length() < 12 || line.charAt(8) != ' ') {
            return -1;
        }
        String code = line.substring(9, 12);
        for (int i = 0; i < 3; i++) {
            if (!Character.isDigit(code.charAt(i))) {
                return -1;
            }
        }
        if (line.length() > 12 && line.charAt(12) != ' ') {
            return -1;
        }
        return Integer.parseInt(code);
    }

    private static String printable(String s) {
        String cut = s.length() > 80 ? s.substring(0, 80) + "..." : s;
        return cut.replaceAll("[^\\x20-\\x7e]", "?");
    }
}
