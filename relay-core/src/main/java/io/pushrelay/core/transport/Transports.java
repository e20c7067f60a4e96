package io.pushrelay.core.transport;

import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.ssl.OpenSsl;
import io.netty.handler.ssl.SslProvider;
import io.netty.util.NettyRuntime;
import io.netty.util.concurrent.DefaultThreadFactory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The I/O transport and TLS provider this host supports: epoll and BoringSSL
 * (netty-tcnative) when they load, NIO and JDK TLS otherwise. Decided once per JVM and
 * logged once. {@code -Dpushrelay.transport=nio} and {@code -Dpushrelay.tls=jdk} force the
 * fallbacks (for comparison runs).
 */
public final class Transports {
    private static final Logger LOG = LoggerFactory.getLogger(Transports.class);
    private static final boolean EPOLL =
            !"nio".equals(System.getProperty("pushrelay.transport")) && Epoll.isAvailable();
    private static final boolean OPENSSL =
            !"jdk".equals(System.getProperty("pushrelay.tls")) && OpenSsl.isAvailable();
    private static volatile boolean logged;

    private Transports() {
    }

    /** A new event loop group of {@code threads} threads (0: Netty's default, 2 x cores). */
    public static EventLoopGroup newGroup(String name, int threads) {
        logOnce();
        IoHandlerFactory factory = EPOLL ? EpollIoHandler.newFactory() : NioIoHandler.newFactory();
        return new MultiThreadIoEventLoopGroup(threads, new DefaultThreadFactory(name, true), factory);
    }

    /**
     * A relay's I/O group: one event loop per two cores, at least one ({@code
     * -Dio.netty.eventLoopThreads=N} sets N). A request and its upstream stream share the
     * downstream connection's loop (the upstream pools are per loop), so each loop beyond what the
     * load needs adds an upstream connection and splits the bursts that one flush and one TLS
     * record carry, and the kernel's network work, the access-log writer, GC and the JIT need the
     * other cores. Measured on 2 cores (bench-post, bench-pre, interleaved): one loop against two
     * took 24 against 37 us of CPU per request for relay-post and 13 against 17-24 us for
     * relay-pre, at the same or a higher rate.
     */
    public static EventLoopGroup newWorkerGroup(String name) {
        return newGroup(name, Integer.getInteger("io.netty.eventLoopThreads", defaultWorkers()));
    }

    /** Half the cores, at least one. */
    public static int defaultWorkers() {
        return Math.max(1, NettyRuntime.availableProcessors() / 2);
    }

    public static Class<? extends ServerChannel> serverChannel() {
        return EPOLL ? EpollServerSocketChannel.class : NioServerSocketChannel.class;
    }

    public static Class<? extends SocketChannel> socketChannel() {
        return EPOLL ? EpollSocketChannel.class : NioSocketChannel.class;
    }

    /** BoringSSL through netty-tcnative when it loads, else the JDK's TLS. */
    public static SslProvider sslProvider() {
        logOnce();
        return OPENSSL ? SslProvider.OPENSSL : SslProvider.JDK;
    }

    public static String describe() {
        return "transport " + (EPOLL ? "epoll" : "nio") + ", TLS "
                + (OPENSSL ? OpenSsl.versionString() + " (netty-tcnative)" : "JDK " + System.getProperty("java.version"));
    }

    private static void logOnce() {
        if (!logged) {
            logged = true;
            LOG.info("using {}", describe());
        }
    }
}
