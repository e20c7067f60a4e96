package io.pushrelay.core.admin;

import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.group.ChannelGroup;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpServerKeepAliveHandler;
import io.netty.handler.timeout.IdleStateHandler;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The admin endpoint's pipeline, plain HTTP/1.1, in this order:
 * {@value #IDLE}, {@value #HTTP_CODEC}, {@value #KEEP_ALIVE}, {@value #AGGREGATOR},
 * {@value #HANDLER}.
 *
 * <p>Limits: request line {@value #MAX_INITIAL_LINE} bytes, headers {@value #MAX_HEADER_SIZE}
 * bytes, body {@value #MAX_CONTENT} bytes (a GET has none; more is answered 413), a
 * connection idle for the idle timeout is closed, and past {@code maxConnections} open
 * connections a new one is closed at once.
 */
public final class AdminInitializer extends ChannelInitializer<Channel> {
    public static final String IDLE = "admin-idle";
    public static final String HTTP_CODEC = "admin-http-codec";
    public static final String KEEP_ALIVE = "admin-keep-alive";
    public static final String AGGREGATOR = "admin-aggregator";
    public static final String HANDLER = "admin-handler";

    static final int MAX_INITIAL_LINE = 4096;
    static final int MAX_HEADER_SIZE = 8192;
    static final int MAX_CONTENT = 8192;

    private static final Logger LOG = LoggerFactory.getLogger(AdminInitializer.class);

    private final AdminHandler handler;
    private final Duration idleTimeout;
    private final int maxConnections;
    private final ChannelGroup channels;
    private final AtomicInteger open = new AtomicInteger();

    /**
     * @param channels every accepted connection is added here, so that the server can close
     *                 them all; null when nobody needs that (unit tests)
     */
    public AdminInitializer(AdminHandler handler, Duration idleTimeout, int maxConnections, ChannelGroup channels) {
        this.handler = handler;
        this.idleTimeout = idleTimeout;
        this.maxConnections = maxConnections;
        this.channels = channels;
    }

    @Override
    protected void initChannel(Channel ch) {
        if (open.incrementAndGet() > maxConnections) {
            open.decrementAndGet();
            LOG.warn("admin: {} connections open already; closing the one from {}", maxConnections, ch.remoteAddress());
            ch.close();
            return;
        }
        ch.closeFuture().addListener(f -> open.decrementAndGet());
        if (channels != null) {
            channels.add(ch);
        }
        ChannelPipeline p = ch.pipeline();
        p.addLast(IDLE, new IdleStateHandler(0, 0, idleTimeout.toMillis(), TimeUnit.MILLISECONDS));
        p.addLast(HTTP_CODEC, new HttpServerCodec(MAX_INITIAL_LINE, MAX_HEADER_SIZE, MAX_CONTENT));
        p.addLast(KEEP_ALIVE, new HttpServerKeepAliveHandler());
        p.addLast(AGGREGATOR, new HttpObjectAggregator(MAX_CONTENT));
        p.addLast(HANDLER, handler);
    }

    /** Connections open now. */
    int open() {
        return open.get();
    }
}
