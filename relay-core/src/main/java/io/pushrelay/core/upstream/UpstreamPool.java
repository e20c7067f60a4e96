package io.pushrelay.core.upstream;

import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.pushrelay.core.connect.Connector;
import java.util.Objects;
import org.slf4j.LoggerFactory;

/**
 * HTTP/2 client connections to the upstreams, opened through a {@link Connector}, keyed by
 * (route host, port, authority, client identity). The identity is the team in the provider
 * token's {@code iss} claim ({@code authorization: bearer <jwt>}; APNS allows one team per
 * connection), and for a pool whose connector presents a client certificate, that certificate.
 *
 * <p><b>Threading.</b> {@link #send} may be called from any thread. Called on an event loop (the
 * downstream channel's), the request is written on an upstream connection opened on that same
 * loop: no thread hop. Called elsewhere, a loop of the pool's group takes it. Each loop has its
 * own connections and limits; the answer reaches the sink on that loop.
 *
 * <p><b>Answers.</b> Every request is answered exactly once through its sink: the upstream's
 * response (status, regular headers, whole body, {@code upstreamConnection} = e.g. {@code u3}),
 * or a relay-made one: {@code UPSTREAM_UNAVAILABLE}/{@code PROXY_*}/{@code UPSTREAM_TLS_FAILED}
 * when the connection cannot be made (at once while backing off), {@code OVERLOADED} when the
 * queue is full, {@code UPSTREAM_RESET} when a stream ends without an answer the upstream may have
 * acted on, {@code UPSTREAM_TIMEOUT} after {@code requestTimeout}, {@code SHUTTING_DOWN} once
 * closing. Requests the upstream provably did not process (REFUSED_STREAM, above a GOAWAY's last
 * stream id) are retried, up to {@code maxRetries}.
 *
 * <p><b>Buffers.</b> {@code send} takes ownership of the request's body and releases it once the
 * request is answered; the response's body belongs to the sink.
 */
public final class UpstreamPool extends LoopPoolUpstream<LoopPool, Metrics> {
    private final UpstreamConfig config;

    /**
     * @param connector how connections are opened (direct or through the proxy); not closed here
     * @param config    limits and timers
     * @param group     the loops that take requests sent from outside any event loop; not shut down here
     */
    public UpstreamPool(Connector connector, UpstreamConfig config, EventLoopGroup group) {
        super(LoggerFactory.getLogger(UpstreamPool.class), "upstream pool", "upstream-pool-close", "u", false,
                connector, group, new Metrics());
        this.config = Objects.requireNonNull(config, "config");
    }

    /** Current counters. Safe from any thread. */
    public UpstreamStats stats() {
        return metrics().snapshot();
    }

    /** Key pools held now, over every event loop (for tests; not to be called on an event loop). */
    int keyPoolCount() {
        return askEachLoop(LoopPool::keyPoolCount).stream().mapToInt(Integer::intValue).sum();
    }

    public UpstreamConfig config() {
        return config;
    }

    @Override
    LoopPool newLoopPart(EventLoop loop) {
        return new LoopPool(this, loop);
    }
}
