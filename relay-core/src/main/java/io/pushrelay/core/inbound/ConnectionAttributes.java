package io.pushrelay.core.inbound;

import io.netty.channel.Channel;
import io.netty.util.AttributeKey;
import io.pushrelay.core.forward.Downstream;
import java.net.InetSocketAddress;
import java.security.cert.X509Certificate;

/**
 * What the listener learns about a downstream connection and the inbound handlers read:
 * channel attributes, set on the connection's event loop.
 */
public final class ConnectionAttributes {
    /** The client certificate the TLS handshake verified; absent when none was asked for. */
    public static final AttributeKey<X509Certificate> CLIENT_CERTIFICATE =
            AttributeKey.valueOf(ConnectionAttributes.class, "clientCertificate");
    /** The name of the listener that accepted the connection. */
    public static final AttributeKey<String> LISTENER = AttributeKey.valueOf(ConnectionAttributes.class, "listener");
    /**
     * The {@code host:port} of the {@code CONNECT} whose tunnel this connection carries (the relay
     * terminated its TLS); absent otherwise. Requests inside must be for that host.
     */
    public static final AttributeKey<String> TUNNEL = AttributeKey.valueOf(ConnectionAttributes.class, "tunnel");
    /** Set when the listener drains: handlers added later must start out draining. */
    public static final AttributeKey<Boolean> DRAINING = AttributeKey.valueOf(ConnectionAttributes.class, "draining");

    private ConnectionAttributes() {
    }

    /** The short id of a connection, as logs and {@link io.pushrelay.core.forward.RelayRequest} show it. */
    public static String id(Channel channel) {
        return channel.id().asShortText();
    }

    /** The connection as the policy sees it. */
    public static Downstream downstream(Channel channel) {
        String listener = channel.attr(LISTENER).get();
        return new Downstream(remoteAddress(channel), id(channel), listener == null ? "-" : listener,
                channel.attr(CLIENT_CERTIFICATE).get(), channel.attr(TUNNEL).get());
    }

    /** The remote address, or null when the channel has none of IP (in-memory test channels). */
    public static InetSocketAddress remoteAddress(Channel channel) {
        return channel.remoteAddress() instanceof InetSocketAddress address ? address : null;
    }

    public static boolean draining(Channel channel) {
        return Boolean.TRUE.equals(channel.attr(DRAINING).get());
    }
}
