package io.pushrelay.core.sim;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.netty.util.concurrent.GlobalEventExecutor;
import io.pushrelay.core.transport.Transports;
import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * A bound listener with its own event loop group, tracking every accepted channel so that
 * {@link #close()} ends them all. Thread-safe.
 */
final class SimServer implements AutoCloseable {
    private final EventLoopGroup group;
    private final ChannelGroup channels;
    private final Channel serverChannel;

    private SimServer(EventLoopGroup group, ChannelGroup channels, Channel serverChannel) {
        this.group = group;
        this.channels = channels;
        this.serverChannel = serverChannel;
    }

    /**
     * Binds {@code listen} on a new group of {@code threads} event loops (0: one per core).
     *
     * @throws IllegalStateException {@code bind, <address>: <cause>} when the address cannot be bound
     */
    static SimServer bind(String name, InetSocketAddress listen, int threads, Consumer<Channel> initializer) {
        return bind(name, listen, threads, false, initializer);
    }

    /**
     * As {@link #bind(String, InetSocketAddress, int, Consumer)}, on NIO when {@code nio} (else the
     * host's best transport, {@link Transports}). Channels the initializer opens must then be
     * {@link NioSocketChannel}s.
     */
    static SimServer bind(String name, InetSocketAddress listen, int threads, boolean nio,
                          Consumer<Channel> initializer) {
        int n = threads > 0 ? threads : Runtime.getRuntime().availableProcessors();
        EventLoopGroup group = nio
                ? new MultiThreadIoEventLoopGroup(n, new DefaultThreadFactory(name, true), NioIoHandler.newFactory())
                : Transports.newGroup(name, n);
        ChannelGroup channels = new DefaultChannelGroup(name, GlobalEventExecutor.INSTANCE);
        ServerBootstrap bootstrap = new ServerBootstrap()
                .group(group)
                .channel(nio ? NioServerSocketChannel.class : Transports.serverChannel())
                .option(ChannelOption.SO_BACKLOG, 1024)
                .option(ChannelOption.SO_REUSEADDR, true)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childHandler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        channels.add(ch);
                        initializer.accept(ch);
                    }
                });
        ChannelFuture bound = bootstrap.bind(listen).awaitUninterruptibly();
        if (!bound.isSuccess()) {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
            Throwable cause = bound.cause();
            throw new IllegalStateException("bind, " + format(listen) + ": "
                    + (cause.getMessage() != null ? cause.getMessage() : cause.toString()), cause);
        }
        return new SimServer(group, channels, bound.channel());
    }

    /** {@code 127.0.0.1:443} or {@code [::1]:443}. */
    static String format(InetSocketAddress address) {
        String host = address.getAddress() != null ? address.getAddress().getHostAddress() : address.getHostString();
        return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + address.getPort();
    }

    InetSocketAddress address() {
        return (InetSocketAddress) serverChannel.localAddress();
    }

    EventLoopGroup group() {
        return group;
    }

    /** Stops listening, closes every connection, and stops the event loops; waits up to a few seconds. */
    @Override
    public void close() {
        serverChannel.close().awaitUninterruptibly(2, TimeUnit.SECONDS);
        channels.close().awaitUninterruptibly(3, TimeUnit.SECONDS);
        group.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
    }
}
