package io.pushrelay.core.sim;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.pushrelay.core.forward.AuthorityNames;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.Base64;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Answers one CONNECT (RFC 9110 9.3.6) as a corporate proxy would: Basic auth (407 with
 * {@code Proxy-Authenticate}), allowed target ports (403), the hosts override, then a TCP
 * connection to the target opened on this channel's event loop; {@code 200 Connection
 * established} once it is up, and the pipeline becomes a {@link TunnelHandler} each way. A
 * refusal keeps the connection for another request when HTTP/1.1 keep-alive allows (407, 403),
 * else closes it. Anything but CONNECT is 501: this proxy only tunnels.
 *
 * <p>Threading: event loop only; the downstream channel stops reading (AUTO_READ off) from the
 * CONNECT until the tunnel is up. The {@link ProxyRequest} holds no buffer.
 */
final class ProxyConnectHandler extends SimpleChannelInboundHandler<ProxyRequest> {
    private static final Logger LOG = LoggerFactory.getLogger(ProxyConnectHandler.class);
    private static final byte[] ESTABLISHED =
            "HTTP/1.1 200 Connection established\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
    static final String REALM = "push-relay sim proxy";

    private final ConnectProxyConfig config;
    private final ProxyStats stats;
    private final byte[] expectedAuthorization;

    ProxyConnectHandler(ConnectProxyConfig config, ProxyStats stats) {
        this.config = config;
        this.stats = stats;
        this.expectedAuthorization = config.requiresAuth()
                ? ("Basic " + Base64.getEncoder().encodeToString((config.user() + ":" + config.password())
                        .getBytes(StandardCharsets.UTF_8))).getBytes(StandardCharsets.US_ASCII)
                : null;
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, ProxyRequest request) throws Exception {
        Instant started = Instant.now();
        long startNanos = System.nanoTime();
        String client = SimServer.format((InetSocketAddress) ctx.channel().remoteAddress());
        Attempt attempt = new Attempt(client, request.method().isEmpty() ? "-" : request.method(),
                request.target().isEmpty() ? "-" : request.target(), started, startNanos);
        if (request.error() != null) {
            refuse(ctx, attempt, "-", 400, "Bad Request", request.error(), false);
            return;
        }
        if (!"CONNECT".equals(request.method())) {
            refuse(ctx, attempt, "-", 501, "Not Implemented", request.method() + " is not supported, only CONNECT",
                    false);
            return;
        }
        String user = "-";
        if (expectedAuthorization != null) {
            String given = request.header("proxy-authorization");
            if (given == null || !MessageDigest.isEqual(given.trim().getBytes(StandardCharsets.UTF_8),
                    expectedAuthorization)) {
                refuse(ctx, attempt, "-", 407, "Proxy Authentication Required",
                        given == null ? "no credentials" : "wrong credentials", request.keepAlive());
                return;
            }
            user = config.user();
        }
        String host = AuthorityNames.hostOf(request.target());
        int port = AuthorityNames.portOf(request.target(), -1);
        if (host.isEmpty() || port < 0) {
            refuse(ctx, attempt, user, 400, "Bad Request", "CONNECT target is not host:port", false);
            return;
        }
        if (!config.allowedPorts().contains(port)) {
            refuse(ctx, attempt, user, 403, "Forbidden", "port " + port + " not allowed", request.keepAlive());
            return;
        }
        String address = config.hosts().getOrDefault(host, host);
        ctx.channel().config().setAutoRead(false);
        String authenticated = user;
        new Bootstrap()
                .group(ctx.channel().eventLoop())
                .channel(NioSocketChannel.class) // the proxy runs on NIO, see ConnectProxySimulator
                .option(ChannelOption.AUTO_READ, false)
                .option(ChannelOption.ALLOW_HALF_CLOSURE, true)
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) config.connectTimeout().toMillis())
                .handler(new ChannelInboundHandlerAdapter())
                .connect(address, port)
                .addListener((ChannelFutureListener) connected -> {
                    if (!connected.isSuccess()) {
                        Throwable cause = connected.cause();
                        refuse(ctx, attempt, authenticated, 503, "Service Unavailable", "connect " + address + ":"
                                + port + ": " + (cause.getMessage() != null ? cause.getMessage() : cause), false);
                        return;
                    }
                    Channel upstream = connected.channel();
                    if (!ctx.channel().isActive()) {
                        upstream.close();
                        return;
                    }
                    ctx.writeAndFlush(Unpooled.wrappedBuffer(ESTABLISHED)).addListener((ChannelFutureListener) w -> {
                        if (w.isSuccess()) {
                            startTunnel(ctx, upstream, attempt, authenticated);
                        } else {
                            upstream.close();
                        }
                    });
                });
    }

    private void startTunnel(ChannelHandlerContext ctx, Channel upstream, Attempt attempt, String user) {
        LongAdder up = new LongAdder();
        LongAdder down = new LongAdder();
        stats.tunnelsOpened.increment();
        stats.tunnelsActive.increment();
        String upstreamAddress = SimServer.format((InetSocketAddress) upstream.remoteAddress());
        Channel downstream = ctx.channel();
        downstream.closeFuture().addListener(f -> stats.tunnelClosed(new TunnelRecord(attempt.client, attempt.method,
                attempt.target, upstreamAddress, user, 200, up.sum(), down.sum(), attempt.elapsedMillis(),
                attempt.started)));
        TunnelHandler.Ends ends = new TunnelHandler.Ends();
        upstream.pipeline().addLast(SimHandlerNames.TUNNEL, new TunnelHandler(downstream, down, stats.bytesDown, ends));
        ChannelPipeline pipeline = ctx.pipeline();
        pipeline.addLast(SimHandlerNames.TUNNEL, new TunnelHandler(upstream, up, stats.bytesUp, ends));
        pipeline.remove(this);
        // Bytes the client sent after its CONNECT (a ClientHello, say) now go to the tunnel.
        pipeline.remove(SimHandlerNames.CONNECT_DECODER);
        upstream.read();
        downstream.read();
    }

    private void refuse(ChannelHandlerContext ctx, Attempt attempt, String user, int status, String phrase, String why,
                        boolean keepAlive) throws Exception {
        stats.refused(new TunnelRecord(attempt.client, attempt.method, attempt.target, "-", user, status, 0, 0,
                attempt.elapsedMillis(), attempt.started), why);
        String body = status + " " + phrase + ": " + why + "\n";
        StringBuilder head = new StringBuilder("HTTP/1.1 ").append(status).append(' ').append(phrase).append("\r\n");
        if (status == 407) {
            head.append("Proxy-Authenticate: Basic realm=\"").append(REALM).append("\"\r\n");
        }
        head.append("Content-Type: text/plain\r\nContent-Length: ")
                .append(body.getBytes(StandardCharsets.UTF_8).length).append("\r\n");
        if (!keepAlive) {
            head.append("Connection: close\r\n");
        }
        head.append("\r\n").append(body);
        var written = ctx.writeAndFlush(Unpooled.wrappedBuffer(head.toString().getBytes(StandardCharsets.UTF_8)));
        if (!keepAlive) {
            written.addListener(ChannelFutureListener.CLOSE);
            return;
        }
        ctx.channel().config().setAutoRead(true);
        ChannelHandlerContext decoder = ctx.pipeline().context(SimHandlerNames.CONNECT_DECODER);
        if (decoder != null) {
            ((ConnectRequestDecoder) decoder.handler()).resume(decoder);
        }
    }

    /** A client that half-closes before its tunnel is up gets no tunnel. */
    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof ChannelInputShutdownEvent) {
            TunnelHandler.closeOnFlush(ctx.channel());
            return;
        }
        ctx.fireUserEventTriggered(evt);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        LOG.debug("proxy {}: {}", ctx.channel().remoteAddress(), cause.toString());
        ctx.close();
    }

    /** When and from whom a CONNECT came, for its log line. */
    private record Attempt(String client, String method, String target, Instant started, long startNanos) {
        long elapsedMillis() {
            return (System.nanoTime() - startNanos) / 1_000_000;
        }
    }
}
