package io.pushrelay.core.admin;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.util.concurrent.GlobalEventExecutor;
import io.pushrelay.core.observe.metrics.RelayMetrics;
import io.pushrelay.core.transport.Transports;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The admin endpoint: a small HTTP/1.1 server answering {@code GET /healthz}, {@code GET /readyz}
 * and {@code GET /metrics} (see {@link AdminHandler}). Bound to loopback by default
 * ({@link #DEFAULT_ADDRESS}); any other address is allowed, with a WARN, since whoever reaches
 * it reads the metrics.
 *
 * <p>Threads: by default it runs on an event loop of its own, so that a scrape never delays
 * relay traffic; given a group, it uses that group and leaves it running on {@link #close()}.
 * A given group must come from {@link Transports#newGroup}, to match
 * {@link Transports#serverChannel()}. {@link #start} and {@link #close} may be called from any
 * thread but an event loop's.
 */
public final class AdminServer implements AutoCloseable {
    /** {@code 127.0.0.1:9901}. */
    public static final InetSocketAddress DEFAULT_ADDRESS = new InetSocketAddress(loopbackV4(), 9901);
    /** Admin connections open at once; more are closed at accept. */
    public static final int MAX_CONNECTIONS = 64;
    /** A connection with no traffic for this long is closed. */
    public static final Duration IDLE_TIMEOUT = Duration.ofSeconds(60);

    private static final Logger LOG = LoggerFactory.getLogger(AdminServer.class);

    private final EventLoopGroup group;
    private final boolean ownGroup;
    private final Duration idleTimeout;
    private final int maxConnections;
    private final ChannelGroup channels = new DefaultChannelGroup("admin", GlobalEventExecutor.INSTANCE);
    private Channel serverChannel;
    private AdminInitializer initializer;
    private boolean closed;

    /** An admin server on an event loop of its own. */
    public AdminServer() {
        this(null, IDLE_TIMEOUT, MAX_CONNECTIONS);
    }

    /** An admin server on {@code group}, which {@link #close()} leaves running. */
    public AdminServer(EventLoopGroup group) {
        this(Objects.requireNonNull(group, "group"), IDLE_TIMEOUT, MAX_CONNECTIONS);
    }

    /**
     * @param group          the event loop group to use, or null for one of its own
     * @param idleTimeout    close a connection idle this long
     * @param maxConnections connections open at once
     */
    public AdminServer(EventLoopGroup group, Duration idleTimeout, int maxConnections) {
        if (idleTimeout.isNegative() || idleTimeout.isZero()) {
            throw new IllegalArgumentException("admin idle timeout must be positive: " + idleTimeout);
        }
        if (maxConnections < 1) {
            throw new IllegalArgumentException("admin max connections must be at least 1: " + maxConnections);
        }
        this.ownGroup = group == null;
        this.group = ownGroup ? Transports.newGroup("admin", 1) : group;
        this.idleTimeout = idleTimeout;
        this.maxConnections = maxConnections;
    }

    /**
     * Binds and starts answering.
     *
     * @param address   where to listen; port 0 picks a free one
     * @param metrics   what {@code /metrics} shows
     * @param readiness asked at every {@code /readyz}, on the event loop: quick, never blocking
     * @return the bound address (with the real port)
     * @throws IllegalStateException when started twice, after close, or when the bind fails
     */
    public synchronized InetSocketAddress start(InetSocketAddress address, RelayMetrics metrics,
                                                Supplier<Readiness> readiness) {
        Objects.requireNonNull(address, "address");
        if (closed) {
            throw new IllegalStateException("admin server is closed");
        }
        if (serverChannel != null) {
            throw new IllegalStateException("admin server already listening on " + serverChannel.localAddress());
        }
        initializer = new AdminInitializer(new AdminHandler(metrics, readiness), idleTimeout, maxConnections, channels);
        ServerBootstrap bootstrap = new ServerBootstrap()
                .group(group)
                .channel(Transports.serverChannel())
                .option(ChannelOption.SO_REUSEADDR, true)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childHandler(initializer);
        ChannelFuture bind = bootstrap.bind(address).awaitUninterruptibly();
        if (!bind.isSuccess()) {
            Throwable cause = bind.cause();
            throw new IllegalStateException("admin: bind " + describe(address) + ": " + cause.getMessage(), cause);
        }
        serverChannel = bind.channel();
        InetSocketAddress bound = (InetSocketAddress) serverChannel.localAddress();
        // Named as asked (a dual-stack socket reports 0.0.0.0 as ::), with the real port.
        String where = describe(new InetSocketAddress(address.getAddress(), bound.getPort()));
        if (address.getAddress() == null || !address.getAddress().isLoopbackAddress()) {
            LOG.warn("admin endpoint listens on {}, not loopback: anyone who reaches it reads /metrics and /readyz", where);
        } else {
            LOG.info("admin endpoint listens on {}", where);
        }
        return bound;
    }

    /** The bound address, or null before {@link #start}. */
    public synchronized InetSocketAddress address() {
        return serverChannel == null ? null : (InetSocketAddress) serverChannel.localAddress();
    }

    /** Admin connections open now. */
    public synchronized int openConnections() {
        return initializer == null ? 0 : initializer.open();
    }

    /** Stops listening, closes every admin connection and, if it is its own, the event loop. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        if (serverChannel != null) {
            serverChannel.close().awaitUninterruptibly();
        }
        channels.close().awaitUninterruptibly();
        if (ownGroup) {
            group.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly();
        }
    }

    private static String describe(InetSocketAddress address) {
        String host = address.getAddress() != null ? address.getAddress().getHostAddress() : address.getHostString();
        return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + address.getPort();
    }

    private static InetAddress loopbackV4() {
        try {
            return InetAddress.getByAddress("localhost", new byte[] {127, 0, 0, 1});
        } catch (UnknownHostException e) {
            throw new AssertionError(e);
        }
    }
}
