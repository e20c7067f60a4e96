package io.pushrelay.pre.passthrough;

import io.netty.channel.Channel;
import io.netty.channel.EventLoop;
import io.netty.util.concurrent.Future;
import io.pushrelay.core.policy.Route;

/**
 * Opens a raw byte tunnel to a route's {@code host:port}: a TCP connection, directly or
 * through the corporate proxy's {@code CONNECT}, with nothing of ours on it yet (no TLS).
 * The returned channel has {@code AUTO_READ} off and lives on {@code loop}.
 */
@FunctionalInterface
public interface TunnelOpener {
    Future<Channel> open(Route route, EventLoop loop);
}
