package io.pushrelay.core.listener;

import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.pushrelay.core.forward.Downstream;
import io.pushrelay.core.inbound.ConnectionAttributes;
import io.pushrelay.core.observe.logging.LogThrottle;
import java.time.Duration;
import javax.net.ssl.SSLException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Last in every downstream pipeline: takes the errors no handler before it took, logs them
 * in one line (a hang-up at DEBUG; anything else at WARN, at most one a second of each kind,
 * with the stack only at DEBUG) and closes the connection. Shared by all connections of a
 * listener; thread-safe.
 */
@ChannelHandler.Sharable
final class ConnectionErrorHandler extends ChannelInboundHandlerAdapter {
    private static final Logger LOG = LoggerFactory.getLogger(ConnectionErrorHandler.class);

    private final String listener;
    private final LogThrottle warnings = new LogThrottle(Duration.ofSeconds(1));

    ConnectionErrorHandler(String listener) {
        this.listener = listener;
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        String peer = Downstream.format(ConnectionAttributes.remoteAddress(ctx.channel()));
        String id = ConnectionAttributes.id(ctx.channel());
        if (TlsFailures.isHangUp(cause) || !ctx.channel().isActive()) {
            LOG.debug("listener {}: {} [{}] went away: {}", listener, peer, id, TlsFailures.describe(cause));
        } else {
            String why = TlsFailures.describe(cause);
            boolean tls = TlsFailures.unwrap(cause) instanceof SSLException;
            long held = warnings.due(why);
            if (held != LogThrottle.HOLD) {
                LOG.warn(tls ? "listener {}: TLS error with {} [{}], closing: {}{}"
                        : "listener {}: closing {} [{}] after an unexpected error: {}{}", listener, peer, id, why,
                        LogThrottle.more(held));
            }
        }
        if (LOG.isDebugEnabled()) {
            LOG.debug("listener {}: error on {} [{}]", listener, peer, id, cause);
        }
        ctx.close();
    }
}
