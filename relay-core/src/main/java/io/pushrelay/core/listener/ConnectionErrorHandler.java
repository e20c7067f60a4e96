package io.pushrelay.core.listener;

import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.pushrelay.core.forward.Downstream;
import io.pushrelay.core.inbound.ConnectionAttributes;
import javax.net.ssl.SSLException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Last in every downstream pipeline: takes the errors no handler before it took, logs them
 * in one line (a hang-up at DEBUG; anything else at WARN, with the stack only at DEBUG) and
 * closes the connection. Stateless, shared by all connections of a listener.
 */
@ChannelHandler.Sharable
final class ConnectionErrorHandler extends ChannelInboundHandlerAdapter {
    private static final Logger LOG = LoggerFactory.getLogger(ConnectionErrorHandler.class);

    private final String listener;

    ConnectionErrorHandler(String listener) {
        this.listener = listener;
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        String peer = Downstream.format(ConnectionAttributes.remoteAddress(ctx.channel()));
        String id = ConnectionAttributes.id(ctx.channel());
        if (TlsFailures.isHangUp(cause) || !ctx.channel().isActive()) {
            LOG.debug("listener {}: {} [{}] went away: {}", listener, peer, id, TlsFailures.describe(cause));
        } else if (TlsFailures.unwrap(cause) instanceof SSLException) {
            LOG.warn("listener {}: TLS error with {} [{}], closing: {}", listener, peer, id,
                    TlsFailures.describe(cause));
        } else {
            LOG.warn("listener {}: closing {} [{}] after an unexpected error: {}", listener, peer, id,
                    TlsFailures.describe(cause));
        }
        if (LOG.isDebugEnabled()) {
            LOG.debug("listener {}: error on {} [{}]", listener, peer, id, cause);
        }
        ctx.close();
    }
}
