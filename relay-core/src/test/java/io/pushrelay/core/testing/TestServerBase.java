package io.pushrelay.core.testing;

import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.handler.ssl.ApplicationProtocolConfig;
import io.netty.handler.ssl.ClientAuth;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.GlobalEventExecutor;
import io.pushrelay.core.transport.Transports;
import java.io.Closeable;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * What {@link H1TestServer} and {@link H2TestServer} share: their event loop (one thread), their
 * TLS context, the connections they hold, and the count of what they processed per
 * {@code x-request-id}, so that a test can prove nothing was delivered twice.
 */
abstract class TestServerBase implements Closeable {
    final EventLoopGroup group;
    /** Null: plain text. */
    final SslContext sslContext;
    final ChannelGroup channels = new DefaultChannelGroup(GlobalEventExecutor.INSTANCE);
    final AtomicInteger connections = new AtomicInteger();
    private final Map<String, AtomicInteger> deliveries = new ConcurrentHashMap<>();
    private final AtomicInteger processed = new AtomicInteger();

    /**
     * @param name     the event loop's thread name, and the server's in errors
     * @param chain    the certificate chain (PEM); null: plain text
     * @param key      its key (PEM)
     * @param alpn     the protocols ALPN may select; empty: no ALPN
     * @param clientCa the CA a required client certificate must come from (PEM); null: none asked
     */
    TestServerBase(String name, Path chain, Path key, List<String> alpn, Path clientCa) {
        this.group = Transports.newGroup(name, 1);
        SslContext ssl = null;
        if (chain != null) {
            try {
                SslContextBuilder builder = SslContextBuilder.forServer(chain.toFile(), key.toFile())
                        .sslProvider(Transports.sslProvider());
                if (!alpn.isEmpty()) {
                    builder.applicationProtocolConfig(new ApplicationProtocolConfig(
                            ApplicationProtocolConfig.Protocol.ALPN,
                            ApplicationProtocolConfig.SelectorFailureBehavior.NO_ADVERTISE,
                            ApplicationProtocolConfig.SelectedListenerFailureBehavior.ACCEPT, alpn));
                }
                if (clientCa != null) {
                    builder.clientAuth(ClientAuth.REQUIRE).trustManager(clientCa.toFile());
                }
                ssl = builder.build();
            } catch (Exception e) {
                group.shutdownGracefully(0, 0, TimeUnit.SECONDS);
                throw new IllegalStateException(name + " TLS", e);
            }
        }
        this.sslContext = ssl;
    }

    /** Counts a request as processed, under {@code id}. */
    final void delivered(String id) {
        processed.incrementAndGet();
        deliveries.computeIfAbsent(id, k -> new AtomicInteger()).incrementAndGet();
    }

    /** Closes {@code ch} below TLS (and h2) with SO_LINGER 0: a TCP RST, no close_notify, no GOAWAY. */
    static ChannelFuture reset(Channel ch) {
        ch.config().setOption(ChannelOption.SO_LINGER, 0);
        return ch.pipeline().firstContext().close();
    }

    /** How often each {@code x-request-id} was processed. */
    public Map<String, AtomicInteger> deliveries() {
        return deliveries;
    }

    /** Requests processed (answered, or dropped after processing, or never answered). */
    public int processed() {
        return processed.get();
    }

    /** Connections: accepted (HTTP/1.1), or past the TLS handshake (h2). */
    public int connections() {
        return connections.get();
    }

    /** Connections open now. */
    public int openConnections() {
        int open = 0;
        for (Channel ch : channels) {
            if (ch.isActive()) {
                open++;
            }
        }
        return open;
    }

    /** Closes the connections (after {@link #closeChannels()}), the event loop and the TLS context. */
    @Override
    public void close() {
        try {
            closeChannels();
        } finally {
            group.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
            ReferenceCountUtil.release(sslContext);
        }
    }

    /** Unbinds and closes every connection. */
    abstract void closeChannels();
}
