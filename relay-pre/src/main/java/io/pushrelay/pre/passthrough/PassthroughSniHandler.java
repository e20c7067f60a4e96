package io.pushrelay.pre.passthrough;

import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.ssl.AbstractSniHandler;
import io.netty.util.concurrent.Future;
import io.pushrelay.core.policy.Route;
import io.pushrelay.core.policy.RouteTable;
import java.util.Optional;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * TLS passthrough: reads the server name from the client's ClientHello without terminating
 * anything, lets through only names in the route table, opens a tunnel to that route and
 * splices the raw bytes both ways. The push service's TLS session (and its client
 * certificate, for certificate-based APNS auth) then runs end to end with the upstream.
 *
 * <p>The ClientHello bytes stay in this decoder's cumulation while the tunnel opens; on
 * success this handler removes itself, which hands them on to the splice. Confined to the
 * downstream channel's event loop; the tunnel is opened on the same loop.
 */
public final class PassthroughSniHandler extends AbstractSniHandler<Channel> {
    private static final Logger LOG = LoggerFactory.getLogger(PassthroughSniHandler.class);

    private final RouteTable routes;
    private final TunnelOpener opener;
    private final PassthroughStats stats;
    /** The decoder may look up again on bytes already buffered; one decision per connection. */
    private boolean decided;

    public PassthroughSniHandler(RouteTable routes, TunnelOpener opener, long handshakeTimeoutMillis,
                                 PassthroughStats stats) {
        super(handshakeTimeoutMillis);
        this.routes = routes;
        this.opener = opener;
        this.stats = stats;
    }

    @Override
    protected Future<Channel> lookup(ChannelHandlerContext ctx, String hostname) {
        if (hostname == null) {
            return ctx.executor().newFailedFuture(new PassthroughRefusedException("no SNI server name in ClientHello"));
        }
        Optional<Route> route = routes.find(hostname);
        if (route.isEmpty()) {
            return ctx.executor().newFailedFuture(
                    new PassthroughRefusedException("SNI '" + hostname + "' is not a route"));
        }
        return opener.open(route.get(), ctx.channel().eventLoop());
    }

    @Override
    protected void onLookupComplete(ChannelHandlerContext ctx, String hostname, Future<Channel> future) {
        Channel downstream = ctx.channel();
        if (decided) {
            if (future.isSuccess()) {
                future.getNow().close();
            }
            return;
        }
        decided = true;
        if (!future.isSuccess()) {
            stats.refused.increment();
            LOG.warn("passthrough {} => {}: {}", downstream.remoteAddress(), hostname == null ? "-" : hostname,
                    future.cause().getMessage());
            downstream.close();
            return;
        }
        Channel upstream = future.getNow();
        if (!downstream.isActive()) {
            upstream.close();
            return;
        }
        stats.tunnels.increment();
        LOG.debug("passthrough {} => {} via {}", downstream.remoteAddress(), hostname, upstream);
        upstream.pipeline().addLast("splice", new SpliceHandler(downstream, stats.bytesDown));
        ctx.pipeline().addAfter(ctx.name(), "splice", new SpliceHandler(upstream, stats.bytesUp));
        ctx.pipeline().remove(this);
        upstream.closeFuture().addListener(f -> SpliceHandler.closeOnFlush(downstream));
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (decided) {
            ctx.close();
            return;
        }
        decided = true;
        stats.refused.increment();
        LOG.warn("passthrough {}: not a TLS ClientHello ({})", ctx.channel().remoteAddress(), cause.getMessage());
        ctx.close();
    }

    /** A refusal that needs no stack trace. */
    static final class PassthroughRefusedException extends Exception {
        private static final long serialVersionUID = 1L;

        PassthroughRefusedException(String message) {
            super(message, null, false, false);
        }
    }

    /** Counters for passthrough tunnels. */
    public static final class PassthroughStats {
        public final LongAdder tunnels = new LongAdder();
        public final LongAdder refused = new LongAdder();
        public final LongAdder bytesUp = new LongAdder();
        public final LongAdder bytesDown = new LongAdder();
    }
}
