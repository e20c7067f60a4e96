package io.pushrelay.core.inbound;

import io.netty.channel.ChannelHandlerContext;

/**
 * Turns an HTTP/1.1 connection into a terminated {@code CONNECT} tunnel, once the {@code 200}
 * answering the {@code CONNECT} went out: the bytes that follow are TLS, which the relay
 * terminates with its own certificate for the name the client asks for (SNI), then HTTP/1.1 or
 * h2 by ALPN, served like any other downstream connection. Provided by the listener (which owns
 * the certificates); absent on a listener without them, where {@code CONNECT} is refused.
 */
@FunctionalInterface
public interface TunnelTerminator {
    /**
     * Replaces the HTTP/1.1 handlers of {@code h1} (the {@link H1InboundHandler}'s context) with
     * the tunnel's TLS handlers; the bytes the request decoder still holds go to them. Runs on the
     * connection's event loop; {@code target} is the {@code CONNECT}'s {@code host:port}.
     */
    void open(ChannelHandlerContext h1, String target);
}
